"""The WebSocket API's routes: $connect records the user the authorizer let in (429, refusing the
handshake, past the connections one user may hold), $disconnect forgets it, and $default answers
a message: a pong to {"action": "ping"}, else an error frame naming the problem, never a trace."""

from __future__ import annotations

import base64
import binascii
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.errors import TooManyConnections, Unauthenticated
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
# Most invocations count nothing ($disconnect, a ping): that is normal, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _body(event: dict[str, Any]) -> str | None:
    body = event.get("body")
    if body is None or not event.get("isBase64Encoded"):
        return body if isinstance(body, str) else None
    try:  # a binary frame: read as UTF-8 text, or as no message at all
        return base64.b64decode(body).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route, connection_id = request.get("routeKey"), str(request.get("connectionId") or "")
    connections = composition.connections()
    if route == "$connect":
        try:
            connection = connections.connect(connection_id, request.get("authorizer"))
        except (Unauthenticated, TooManyConnections) as refused:
            logger.warning("connection refused", extra={"reason": refused.message})
            count(Metric.CONNECTIONS_REFUSED)
            return {"statusCode": 429 if isinstance(refused, TooManyConnections) else 401}
        count(Metric.CONNECTIONS_OPENED)
        logger.info("connected", extra={"connectionId": connection_id, "sub": connection.user_id})
    elif route == "$disconnect":
        connections.disconnect(connection_id)
        logger.info("disconnected", extra={"connectionId": connection_id})
    else:
        answer = connections.answer(connection_id, _body(event))
        logger.info("answered", extra={"connectionId": connection_id, "answer": answer["type"]})
    return {"statusCode": 200}

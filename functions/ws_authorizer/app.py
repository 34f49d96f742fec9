"""The WebSocket API's REQUEST authorizer on $connect: the ID token in the `token` query-string
parameter, checked as the HTTP API's JWT authorizer checks a bearer token. A refused token is a
Deny policy (API Gateway answers 403), never an exception."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.metrics import Metric, count
from flexfleet.realtime.tokens import TokenRefused, allow, deny

logger = Logger()
metrics = Metrics()
# Most invocations count nothing ($disconnect, a ping): that is normal, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    method_arn = str(event.get("methodArn") or "")
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        verified = composition.token_verifier().verify(token if isinstance(token, str) else None)
    except TokenRefused as refused:
        logger.info("connection refused", extra={"reason": str(refused)})
        count(Metric.CONNECTIONS_REFUSED)
        return deny(method_arn)
    except Exception:  # a JWKS that cannot be fetched, say: refuse, and say why in the log
        logger.exception("connection refused: the token could not be checked")
        count(Metric.CONNECTIONS_REFUSED)
        return deny(method_arn)
    caller = verified.caller
    logger.info("connection allowed", extra={"sub": caller.sub, "groups": sorted(caller.groups)})
    return allow(verified, method_arn)

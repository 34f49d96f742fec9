"""GET /me: the caller's id and groups, as the JWT authorizer passed them on."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.resolver import http_resolver
from flexfleet.identity import caller_from_event

logger = Logger()
app = http_resolver()


@app.get("/me")
def me() -> dict[str, Any]:
    caller = caller_from_event(app.current_event.raw_event)
    return {"sub": caller.sub, "groups": sorted(caller.groups)}


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

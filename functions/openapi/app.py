"""GET /openapi.json: every route of the API, from the routers the other functions serve."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api import openapi
from flexfleet.api.resolver import http_resolver

logger = Logger()
app = http_resolver()
app.include_router(openapi.router)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

"""GET /health: liveness of the HTTP API, no auth."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.resolver import http_resolver
from flexfleet.api.routes.platform import health_router

logger = Logger()
app = http_resolver()
app.include_router(health_router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

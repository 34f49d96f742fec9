"""The one way to make an HTTP API function: the routers it serves, behind the API's resolver,
with Powertools' logging and metrics around each invocation."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.api.resolver import HttpApiResolver, http_resolver

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def http_api_function(*routers: APIGatewayHttpRouter) -> tuple[HttpApiResolver, Handler]:
    """The function's resolver, serving these routers, and its Lambda handler."""
    app = http_resolver()
    for router in routers:
        app.include_router(router)
    logger, metrics = Logger(), Metrics()
    # An invocation with nothing to count (a 404, /health) is normal, not worth a warning.
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    @metrics.log_metrics
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return app, lambda_handler

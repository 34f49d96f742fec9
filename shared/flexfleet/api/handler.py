"""The one way to make an HTTP API function: the routers it serves, behind the API's resolver,
with Powertools' logging and metrics around each invocation, primed before SnapStart's snapshot."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.depends import build_dependency_tree
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import snapstart
from flexfleet.api.resolver import HttpApiResolver, http_resolver

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def prime(app: HttpApiResolver) -> None:
    """Does now what the first request would otherwise pay for: builds the services the routes
    depend on (their clients included), and the validation models of every route."""
    routes = app._static_routes + app._dynamic_routes  # noqa: SLF001 - no public listing
    providers: dict[Callable[..., Any], None] = {}
    for route in routes:
        _ = (route.dependant, route.body_field, route.has_dependencies)  # cached when first read
        for node in build_dependency_tree(route.func).dependencies:
            if not node.dependant.dependencies and _takes_nothing(node.depends.dependency):
                providers[node.depends.dependency] = None
    for provider in providers:
        app.dependency_overrides.get(provider, provider)()


def _takes_nothing(provider: Callable[..., Any]) -> bool:
    # The caller's provider takes the request; services' providers take nothing.
    return not inspect.signature(provider).parameters


def http_api_function(*routers: APIGatewayHttpRouter) -> tuple[HttpApiResolver, Handler]:
    """The function's resolver, serving these routers, and its Lambda handler."""
    app = http_resolver()
    for router in routers:
        app.include_router(router)
    snapstart.before_snapshot(lambda: prime(app))
    logger, metrics = Logger(), Metrics()
    # An invocation with nothing to count (a 404, /health) is normal, not worth a warning.
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    @metrics.log_metrics
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return app, lambda_handler

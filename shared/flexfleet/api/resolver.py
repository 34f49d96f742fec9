"""Builds the HTTP API resolver every API function uses."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from flexfleet.api.exception_handlers import register_exception_handlers
from flexfleet.api.request_body import MAX_BODY_BYTES, json_body_guard


def http_resolver(*, max_body_bytes: int = MAX_BODY_BYTES) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver()
    app.use(middlewares=[json_body_guard(max_body_bytes)])
    register_exception_handlers(app)
    return app

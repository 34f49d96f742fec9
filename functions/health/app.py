"""GET /health: liveness of the HTTP API, no auth."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes.platform import health_router

app, lambda_handler = http_api_function(health_router)

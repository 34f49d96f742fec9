"""GET /drivers/{driverId}/standing and GET /standing/review-queue."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import standing

app, lambda_handler = http_api_function(standing.router)

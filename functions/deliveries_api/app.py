"""POST /deliveries and GET /deliveries/{deliveryId}: recording deliveries, and showing them."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import deliveries

app, lambda_handler = http_api_function(deliveries.router)

"""GET /malls, PUT /malls/{mallId}, and PUT and GET /retailers/{retailerId}."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import catalogue

app, lambda_handler = http_api_function(catalogue.router)

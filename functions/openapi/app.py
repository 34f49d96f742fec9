"""GET /openapi.json: every route of the API, from the routers the other functions serve."""

from __future__ import annotations

from flexfleet.api import openapi
from flexfleet.api.handler import http_api_function

app, lambda_handler = http_api_function(openapi.router)

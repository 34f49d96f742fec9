"""Rating a delivery, a driver's feedback, responses and disputes."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import ratings

app, lambda_handler = http_api_function(ratings.router)

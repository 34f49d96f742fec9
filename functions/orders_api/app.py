"""Retail orders, and a driver's assignments."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import orders

app, lambda_handler = http_api_function(orders.router)

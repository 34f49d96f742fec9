"""Instant offers: drivers' availability, their open offers, accept and decline; an order's
offers for ops."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import instant_offers

app, lambda_handler = http_api_function(instant_offers.router)

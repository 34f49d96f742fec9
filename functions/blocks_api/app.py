"""Shift types, blocks, offers, bookings and earnings."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import blocks

app, lambda_handler = http_api_function(blocks.router)

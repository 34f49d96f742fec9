"""Ops' side of disputes: GET /disputes and POST /disputes/{disputeId}/decision."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes import disputes

app, lambda_handler = http_api_function(disputes.router)

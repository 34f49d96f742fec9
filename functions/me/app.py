"""GET /me: the caller's id and groups, as the JWT authorizer passed them on."""

from __future__ import annotations

from flexfleet.api.handler import http_api_function
from flexfleet.api.routes.platform import me_router

app, lambda_handler = http_api_function(me_router)

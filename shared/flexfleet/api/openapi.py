"""The OpenAPI document of the whole API, built from every router."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from flexfleet.api.exception_handlers import NO_TOKEN, documented
from flexfleet.api.resolver import http_resolver, http_router
from flexfleet.api.routes import (
    blocks,
    catalogue,
    deliveries,
    disputes,
    instant_offers,
    orders,
    platform,
    ratings,
    standing,
)

router = http_router()


@router.get(
    "/openapi.json",
    summary="This document; needs no token",
    tags=["platform"],
    openapi_extensions=NO_TOKEN,
    responses=documented(dict[str, Any]),
)
def document() -> Response[str]:
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document()
    )


ROUTERS = (
    platform.health_router,
    platform.me_router,
    deliveries.router,
    ratings.router,
    disputes.router,
    standing.router,
    catalogue.router,
    blocks.router,
    orders.router,
    instant_offers.router,
    router,
)


@cache
def openapi_document() -> str:
    app = http_resolver()
    for router in ROUTERS:
        app.include_router(router)
    app.configure_openapi(
        title="FlexFleet API",
        version="1.0.0",
        summary="Ratings, driver standing, feedback and disputes for a gig delivery program.",
        security_schemes={"cognitoJwt": HTTPBearer(bearerFormat="JWT")},
        security=[{"cognitoJwt": []}],
    )
    document = json.loads(app.get_openapi_json_schema())
    for operations in document["paths"].values():
        for operation in operations.values():
            if operation.pop(next(iter(NO_TOKEN)), False):
                operation["security"] = []
    return json.dumps(document, separators=(",", ":"))

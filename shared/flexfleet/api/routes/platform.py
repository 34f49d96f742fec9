"""GET /health and GET /me."""

from __future__ import annotations

from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import NO_TOKEN, documented
from flexfleet.api.resolver import http_router
from flexfleet.api_model import ApiModel

health_router = http_router()
me_router = http_router()


class Health(ApiModel):
    status: str


class Me(ApiModel):
    sub: str
    groups: list[str]


@health_router.get(
    "/health",
    summary="Liveness of the HTTP API; needs no token",
    tags=["platform"],
    openapi_extensions=NO_TOKEN,
    responses=documented(Health),
)
def health() -> Health:
    return Health(status="ok")


@me_router.get(
    "/me",
    summary="The caller's id and groups, as the JWT authorizer passed them on",
    tags=["platform"],
    responses=documented(Me, 401),
)
def me(caller: CurrentCaller) -> Me:
    return Me(sub=caller.sub, groups=sorted(caller.groups))

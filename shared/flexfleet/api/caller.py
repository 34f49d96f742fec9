"""The caller of an HTTP API request, from the claims the JWT authorizer passed on; routes receive
it through Depends(current_caller)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.request import Request

from flexfleet.errors import Unauthenticated
from flexfleet.identity import Caller


def parse_groups(raw: object) -> frozenset[str]:
    """Read `cognito:groups`.

    API Gateway's HTTP API flattens array claims into one string, "[driver ops]": the
    groups are separated by whitespace, never by commas (a comma belongs to a group's
    name, which then matches no role). A real list is accepted too.
    """
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(text.split())


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller of an HTTP API v2 event, from requestContext.authorizer.jwt.claims."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not sub:
        raise Unauthenticated("the request carries no verified identity")
    return Caller(sub=str(sub), groups=parse_groups(claims.get("cognito:groups")))


def current_caller(request: Request) -> Caller:
    """The Depends() provider of the caller."""
    return caller_from_event(request.resolved_event.raw_event)


# A route's parameter that receives the caller.
CurrentCaller = Annotated[Caller, Depends(current_caller)]

"""The caller of an HTTP API request, from the claims the JWT authorizer passed on; routes receive
it through Depends(current_caller)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.request import Request

from flexfleet.errors import Unauthenticated
from flexfleet.identity import Caller, parse_groups


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

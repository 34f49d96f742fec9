"""Who is calling: the Cognito claims that the HTTP API's JWT authorizer passed on."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from flexfleet.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    CUSTOMER = "customer"
    DRIVER = "driver"
    RETAILER = "retailer"
    OPS = "ops"
    SYSTEM = "system"


class Caller(BaseModel):
    model_config = ConfigDict(frozen=True)

    sub: str
    groups: frozenset[str]

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(g) for g in self.groups if g in Role.__members__.values())

    def require(self, *allowed: Role) -> None:
        if not self.roles & set(allowed):
            raise Forbidden(f"this operation needs one of the roles: {', '.join(sorted(allowed))}")


def parse_groups(raw: object) -> frozenset[str]:
    """Read `cognito:groups`.

    API Gateway's HTTP API flattens array claims into one string, "[driver ops]",
    so that form is what arrives in Lambda; a real list is accepted too.
    """
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return frozenset(part for part in text.replace(",", " ").split() if part)


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller of an HTTP API v2 event, from requestContext.authorizer.jwt.claims."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not sub:
        raise Unauthenticated("the request carries no verified identity")
    return Caller(sub=str(sub), groups=parse_groups(claims.get("cognito:groups")))

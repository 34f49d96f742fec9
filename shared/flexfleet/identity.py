"""Who is calling, and what their roles allow: the domain's view of an authenticated caller."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from flexfleet.errors import Forbidden, OwnRecord


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

    def refuse_own_record(self, owners: Mapping[str, str], what: str) -> None:
        """Nobody decides about a record that is their own, whatever their roles: a caller who
        is both a driver and ops may not, as ops, act on their own ratings or deliveries.
        `owners` maps each field that names a party to the record to who it names."""
        for field, owner in owners.items():
            if owner == self.sub:
                message = f"{what} concerns you, as its {field}: another member of ops must do it"
                raise OwnRecord(message, field=field)


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

"""A mall of the retail pilot, and a retailer onboarded in one."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from flexfleet.api_model import ApiModel, UtcDatetime
from flexfleet.geo import Point
from flexfleet.ids import Identifier

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _zone(key: str) -> str:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone, such as America/Phoenix") from exc
    return key


TimeZoneName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$", max_length=64),
    AfterValidator(_zone),
    Field(description="IANA time zone: block times are shown and checked in it"),
]


class MallDetails(ApiModel):
    """The body of PUT /malls/{mallId}."""

    name: Name
    city: Name
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="USPS state code"
    )
    location: Point
    time_zone: TimeZoneName
    service_radius_km: Annotated[float, Field(ge=0.1, le=100, allow_inf_nan=False)] = Field(
        description="drop-offs farther than this from the mall are refused"
    )

    @field_validator("service_radius_km")
    @classmethod
    def _metres(cls, radius: float) -> float:
        return round(radius, 3)


class Mall(MallDetails):
    mall_id: Identifier


class MallList(ApiModel):
    malls: list[Mall]


class RetailerDetails(ApiModel):
    """The body of PUT /retailers/{retailerId}."""

    name: Name
    mall_id: Identifier


class Retailer(RetailerDetails):
    retailer_id: Identifier = Field(description="the sub of the retailer's users")
    onboarded_at: UtcDatetime
    onboarded_by: str

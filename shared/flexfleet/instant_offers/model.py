"""A driver's availability, an instant offer and how it ended, and the offer's window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from flexfleet.api_model import ApiModel, Boolean, UtcDatetime
from flexfleet.geo import Latitude, Longitude, Point
from flexfleet.ids import Identifier
from flexfleet.instant_offers import config
from flexfleet.money import Dollars
from flexfleet.retail.model import Dropoff, Packages

OfferStatus = Literal["pending", "accepted", "declined", "expired", "withdrawn"]
# How a new offer's write ended: stored; its round made by another run already; its driver
# holding another open offer; or refused because another transaction was writing the same items.
Created = Literal["created", "round_taken", "driver_offered", "contended"]
# An offer's id is its order's id and its round, the n-th offer of that order: "ord-1:2". The
# round makes offer_out idempotent (round n is created once, whoever tries), and the id can be
# read back into the item's key without an index.
OfferId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}:[1-9][0-9]{0,5}$")
]


def offer_id(order_id: str, round_: int) -> str:
    return f"{order_id}:{round_}"


def offer_key(offer_id_: str) -> tuple[str, int]:
    """The order and round an offer id names (an order id may hold ':' itself)."""
    order_id, round_ = offer_id_.rsplit(":", 1)
    return order_id, int(round_)


def window_end(offered_at: datetime) -> datetime:
    """When an offer made at `offered_at` expires."""
    return offered_at + config.OFFER_WINDOW


class AvailabilityRequest(ApiModel):
    """The body of PUT /drivers/{driverId}/availability: whether the driver takes instant
    offers now, and where they are."""

    online: Boolean
    lat: Latitude
    lng: Longitude


class Availability(AvailabilityRequest):
    driver_id: Identifier
    updated_at: UtcDatetime
    fresh_until: UtcDatetime = Field(
        description="online counts until then, unless the driver sends their position again"
    )

    @property
    def position(self) -> Point:
        return Point(lat=self.lat, lng=self.lng)


class InstantOffer(ApiModel):
    """One offer of an order to one driver, with its pay up front; kept once ended, with how."""

    offer_id: str
    order_id: Identifier
    round: int = Field(ge=1, description="the n-th offer of this order")
    mall_id: Identifier
    driver_id: Identifier
    tier: str = Field(description="the driver's tier when offered: better tiers are offered first")
    status: OfferStatus
    offered_at: UtcDatetime
    expires_at: UtcDatetime
    hourly_rate: Dollars
    estimated_minutes: int = Field(description="to the mall, pickup, to the door and handover")
    pay: Dollars = Field(description="hourlyRate over estimatedMinutes, to the cent")
    tip: Dollars = Field(description="the customer's tip, paid on delivery on top of the pay")
    pickup_km: float = Field(description="from the driver to the mall when offered")
    store_name: str
    ready_at: UtcDatetime
    deliver_by: UtcDatetime
    dropoff: Dropoff
    packages: Packages
    ended_at: UtcDatetime | None = Field(
        default=None, description="accepted, declined, expired or withdrawn at"
    )
    withdrawn_because: str | None = Field(
        default=None,
        description="withdrawn: the order's status then (assigned elsewhere, cancelled, ...)",
    )


class InstantOfferList(ApiModel):
    driver_id: Identifier
    offers: list[InstantOffer]


class OrderOffers(ApiModel):
    """Every instant offer of an order, in the order they were made, each with how it ended."""

    order_id: Identifier
    offers: list[InstantOffer]


@dataclass
class Settled:
    """What one run of the expiry job, or one offer_out, changed."""

    expired: int = 0
    withdrawn: int = 0
    offered: int = 0

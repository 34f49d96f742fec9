"""Blocks, bookings, offers and earnings, as stored and as the API shows them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from flexfleet.api_model import ApiModel, UtcDatetime, whole_number
from flexfleet.blocks import config
from flexfleet.geo import Point
from flexfleet.ids import Identifier
from flexfleet.money import Dollars

ShiftTypeName = Literal["standard", "retail", "evening", "weekend", "holiday"]
TierLabel = Literal["Fantastic", "Great", "Fair", "At Risk"]


class ShiftType(ApiModel):
    shift_type: ShiftTypeName
    hourly_rate: Dollars
    premium: bool = Field(description="above the lowest rate: At Risk drivers never see it")
    description: str


class ShiftTypeList(ApiModel):
    shift_types: list[ShiftType]
    max_hourly_rate: Dollars = Field(description="no surge goes above it")


class BlockRequest(ApiModel):
    """The body of POST /blocks."""

    block_id: Identifier
    mall_id: Identifier
    shift_type: ShiftTypeName
    start: UtcDatetime
    end: UtcDatetime
    capacity: Annotated[int, Field(ge=1, le=config.MAX_CAPACITY), BeforeValidator(whole_number)] = (
        Field(description="how many drivers the block needs")
    )

    # A field validator, not a model validator, so that a refusal names `end`.
    @field_validator("end")
    @classmethod
    def _length(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if (
            start is not None
            and not config.MIN_BLOCK_LENGTH <= end - start <= config.MAX_BLOCK_LENGTH
        ):
            raise ValueError(
                f"a block lasts {config.MIN_BLOCK_LENGTH.seconds // 3600} to "
                f"{config.MAX_BLOCK_LENGTH.seconds // 3600} hours: end must follow start by that"
            )
        return end


class Block(BlockRequest):
    """A published block."""

    time_zone: str
    base_rate: Dollars
    surge: Dollars = Field(description="added to the base rate while the block is unfilled")
    premium: bool
    releases: dict[TierLabel, UtcDatetime]
    held: int = Field(default=0, description="places taken")
    reserved_pending: int = Field(default=0, description="reserved offers not yet answered")
    taken: int = Field(default=0, description="places held or reserved: never above capacity")
    released_to: int = Field(default=1, description="how many tiers the release job reached")
    published_at: UtcDatetime
    published_by: str


class BlockOut(ApiModel):
    """A block as drivers and ops see it: times in UTC and in the mall's zone, pay up front."""

    block_id: Identifier
    mall_id: Identifier
    shift_type: ShiftTypeName
    start: datetime
    end: datetime
    time_zone: str
    local_start: str = Field(description="the start in the mall's time zone, with its offset")
    local_end: str
    hours: Decimal = Field(description="hours worked: across a DST change, not the wall clock's")
    hourly_rate: Dollars = Field(description="base rate plus surge")
    base_rate: Dollars
    surge: Dollars
    pay: Dollars = Field(description="hourly rate × hours, shown before accepting")
    premium: bool
    capacity: int
    available: int = Field(description="places still open to the pool")
    releases: dict[TierLabel, datetime] = Field(description="when each tier first sees it")
    published_at: datetime


BookingStatus = Literal["held", "checked_in", "forfeited", "no_show"]


class Booking(ApiModel):
    """A driver's place on a block, with the pay agreed when it was accepted."""

    block_id: Identifier
    driver_id: Identifier
    mall_id: Identifier
    shift_type: ShiftTypeName
    start: UtcDatetime
    end: UtcDatetime
    time_zone: str
    status: BookingStatus
    hourly_rate: Dollars
    base_rate: Dollars
    accepted_at: UtcDatetime
    reserved: bool = Field(description="accepted through a reserved offer")
    checked_in_at: UtcDatetime | None = None
    forfeited_at: UtcDatetime | None = None
    late_forfeit: bool | None = Field(
        default=None, description="forfeited within the notice: counts against reliability"
    )
    no_show_at: UtcDatetime | None = None
    current_order_ids: frozenset[Identifier] = Field(
        default=frozenset(),
        description="the orders the driver holds: one trip's bundle, from one store; the "
        "driver is free once the last of them ends",
    )
    busy_until: UtcDatetime | None = Field(
        default=None, description="while holding orders: when dispatch planned the trip to end"
    )
    last_dropoff: Point | None = Field(
        default=None, description="where the driver's current or last trip ends"
    )
    freed_at: UtcDatetime | None = Field(
        default=None, description="when one of the driver's orders last ended"
    )
    tips: Dollars = Decimal("0.00")
    orders_delivered: int = 0


class BookingOut(Booking):
    local_start: str
    local_end: str
    hours: Decimal
    pay: Dollars
    phase: Literal["upcoming", "active", "past"]


class DriverBlocks(ApiModel):
    upcoming: list[BookingOut]
    active: list[BookingOut]
    past: list[BookingOut] = Field(description=f"the last {config.PAST_BLOCKS_SHOWN.days} days")


class ReservedOffer(ApiModel):
    block_id: Identifier
    driver_id: Identifier
    mall_id: Identifier
    offered_at: UtcDatetime
    expires_at: UtcDatetime
    status: Literal["pending", "accepted", "expired"]


class Offer(ApiModel):
    block: BlockOut
    reserved: bool = Field(description="an exclusive reserved offer")
    expires_at: datetime | None = Field(description="the reserved offer's window closes then")


class OfferList(ApiModel):
    driver_id: Identifier
    tier: TierLabel
    offers: list[Offer] = Field(description="reserved offers first, then by start")


class Preferences(ApiModel):
    """The body of PUT /drivers/{driverId}/preferences."""

    mall_ids: Annotated[list[Identifier], Field(max_length=config.MAX_PREFERRED_MALLS)] = Field(
        description="blocks are offered only at these malls"
    )

    @field_validator("mall_ids")
    @classmethod
    def _distinct(cls, mall_ids: list[str]) -> list[str]:
        if len(set(mall_ids)) != len(mall_ids):
            raise ValueError("must not repeat a mall")
        return mall_ids


class DriverPreferences(Preferences):
    driver_id: Identifier


class CheckIn(Point):
    """The body of POST /blocks/{blockId}/check-in: where the driver is."""


class Earnings(ApiModel):
    driver_id: Identifier
    period_from: datetime = Field(alias="from")
    period_to: datetime = Field(alias="to")
    blocks_worked: int
    hours: Decimal
    base_pay: Dollars
    surge: Dollars
    tips: Dollars = Field(description="customers' tips, passed through in full")
    total: Dollars

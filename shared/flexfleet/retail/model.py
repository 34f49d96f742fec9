"""A retail order, its status machine, and what each party may see of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, ValidationInfo, field_validator

from flexfleet.api_model import ApiModel, UtcDatetime, whole_number
from flexfleet.geo import Point
from flexfleet.ids import Identifier
from flexfleet.money import Dollars
from flexfleet.retail import config

Status = Literal["placed", "assigned", "picked_up", "delivered", "failed", "cancelled"]
STATUSES: tuple[Status, ...] = (
    "placed",
    "assigned",
    "picked_up",
    "delivered",
    "failed",
    "cancelled",
)
# The status machine: the statuses each one may move to. Every transition is a conditional
# write on the status it starts from, so two clients can never both take it.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    "placed": frozenset({"assigned", "cancelled"}),
    "assigned": frozenset({"picked_up", "cancelled"}),
    "picked_up": frozenset({"delivered", "failed"}),
    "delivered": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}
# Statuses in which a driver is working on the order.
WITH_DRIVER: frozenset[Status] = frozenset({"assigned", "picked_up"})


class Dropoff(Point):
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class Packages(ApiModel):
    count: Annotated[int, Field(ge=1, le=config.MAX_PACKAGES), BeforeValidator(whole_number)]
    size: Literal["small", "medium", "large"]


class OrderRequest(ApiModel):
    """The body of POST /retail/orders."""

    order_id: Identifier
    customer_id: Identifier = Field(description="the recipient, who will rate the delivery")
    dropoff: Dropoff
    ready_at: UtcDatetime = Field(description="when the packed order is ready at the store")
    deliver_by: UtcDatetime
    packages: Packages
    tip: Dollars = Field(
        default=Decimal("0.00"),
        description=f"the customer's tip, at most ${config.MAX_TIP}: all of it goes to the driver",
    )

    # Field validators, not a model validator, so that a refusal names its field.
    @field_validator("deliver_by")
    @classmethod
    def _window(cls, deliver_by: datetime, info: ValidationInfo) -> datetime:
        ready_at = info.data.get("ready_at")
        if ready_at is not None and deliver_by <= ready_at:
            raise ValueError("must be after readyAt")
        return deliver_by

    @field_validator("tip")
    @classmethod
    def _tip(cls, tip: Decimal) -> Decimal:
        if tip > config.MAX_TIP:
            raise ValueError(f"must be at most {config.MAX_TIP}")
        return tip


# Why dispatch left a placed order unassigned; the same three as the dispatch engine's, which
# dispatch maps onto these (retail knows nothing of dispatch).
UnassignedBecause = Literal["no_driver_in_reach", "drivers_busy", "past_deadline"]


class Unassigned(ApiModel):
    """Why dispatch could not assign the order in its last run, as ops see it."""

    reason: UnassignedBecause = Field(
        description="no_driver_in_reach: no driver on duty can reach the door by deliverBy; "
        "drivers_busy: every driver who could is busy until `until`; past_deadline: nobody, "
        "not even a driver at the store now, can deliver it by deliverBy"
    )
    until: UtcDatetime | None = Field(
        default=None, description="drivers_busy: the earliest a driver who could serve is free"
    )
    since: UtcDatetime = Field(description="when dispatch first gave this reason")


class Order(OrderRequest):
    retailer_id: Identifier
    store_name: str
    mall_id: Identifier
    status: Status
    placed_at: UtcDatetime
    status_changed_at: UtcDatetime
    driver_id: Identifier | None = None
    block_id: Identifier | None = None
    assigned_at: UtcDatetime | None = None
    picked_up_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = Field(
        default=None, description="delivered, failed or cancelled at"
    )
    cancelled_by: str | None = None
    cause: Literal["driver", "external"] | None = None
    note: str | None = None
    unassigned: Unassigned | None = None

    def assigned_to(self, driver_id: str, block_id: str | None, at: datetime) -> Order:
        """The order as its driver takes it, on a block or (block_id None) by instant offer;
        why it waited no longer holds."""
        return self.model_copy(
            update={
                "status": "assigned",
                "driver_id": driver_id,
                "block_id": block_id,
                "assigned_at": at,
                "status_changed_at": at,
                "unassigned": None,
            }
        )


class OrderForDriver(ApiModel):
    """An order as its driver sees it: the store and the door, never the customer."""

    order_id: Identifier
    store_name: str
    retailer_id: Identifier
    mall_id: Identifier
    dropoff: Dropoff
    ready_at: datetime
    deliver_by: datetime
    packages: Packages
    tip: Dollars
    status: Status
    block_id: Identifier | None = None
    assigned_at: datetime | None = None
    picked_up_at: datetime | None = None
    finished_at: datetime | None = None


class OrderForCustomer(ApiModel):
    """An order as its recipient sees it: where it is and when it should arrive."""

    order_id: Identifier
    store_name: str
    status: Status
    deliver_by: datetime
    eta: datetime | None = Field(description="estimated arrival; null once it has ended")
    status_changed_at: datetime


class OrderPage(ApiModel):
    orders: list[Order]
    cursor: str | None = Field(description="pass it back for the next page; null on the last")


class Assignments(ApiModel):
    driver_id: Identifier
    orders: list[OrderForDriver]


class Pickup(Point):
    """The body of POST /retail/orders/{orderId}/pickup: where the driver is."""


class DeliveryOutcome(ApiModel):
    """The body of POST /retail/orders/{orderId}/delivery."""

    outcome: Literal["delivered", "undeliverable"]
    cause: Literal["driver", "external"] | None = Field(
        default=None,
        validate_default=True,
        description="why it was not delivered; only, and required, if undeliverable",
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @field_validator("cause")
    @classmethod
    def _cause(cls, cause: str | None, info: ValidationInfo) -> str | None:
        outcome = info.data.get("outcome")
        if outcome is not None and (outcome == "undeliverable") != (cause is not None):
            raise ValueError("required when undeliverable, and only then")
        return cause

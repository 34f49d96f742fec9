"""A retail order, its status machine, and what each party may see of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

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
        default=Decimal("0.00"), description="the customer's tip: all of it goes to the driver"
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.deliver_by <= self.ready_at:
            raise ValueError("deliverBy must be after readyAt")
        return self


class Unassignable(ApiModel):
    """Why dispatch could not assign the order, as ops see it."""

    reason: str
    flagged_at: UtcDatetime


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
    unassignable: Unassignable | None = None


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
        default=None, description="why it was not delivered; only, and required, if undeliverable"
    )
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @model_validator(mode="after")
    def _cause(self) -> Self:
        if (self.outcome == "undeliverable") != (self.cause is not None):
            raise ValueError("cause is required when undeliverable, and only then")
        return self

"""A delivery as the station or retail integration reports it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from flexfleet.api_model import ApiModel, UtcDatetime
from flexfleet.ids import Identifier

Outcome = Literal["delivered", "undeliverable", "returned", "cancelled"]


class PromisedWindow(ApiModel):
    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class DeliveryReport(ApiModel):
    """The body of POST /deliveries."""

    delivery_id: Identifier
    driver_id: Identifier
    customer_id: Identifier
    promised_window: PromisedWindow
    delivered_at: UtcDatetime | None = Field(description="null when it was not delivered")
    outcome: Outcome
    cause: Literal["driver", "external"] | None = Field(
        default=None, description="why it was not delivered; required unless delivered"
    )
    source: Literal["station", "retail"]
    order_id: Identifier | None = Field(
        default=None, description="the retail order, for source retail"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.outcome == "delivered":
            if self.delivered_at is None:
                raise ValueError("deliveredAt is required when the outcome is delivered")
            if self.cause is not None:
                raise ValueError("cause is only for deliveries that were not delivered")
        else:
            if self.delivered_at is not None:
                raise ValueError("deliveredAt must be null unless the outcome is delivered")
            if self.cause is None:
                raise ValueError("cause is required when the outcome is not delivered")
        if (self.source == "retail") != (self.order_id is not None):
            raise ValueError("orderId is required for retail deliveries, and only for them")
        return self


class Delivery(DeliveryReport):
    """A recorded delivery."""

    recorded_at: UtcDatetime


class DeliveryForDriver(ApiModel):
    """A delivery as its driver sees it: without the customer, so that ratings stay anonymous."""

    delivery_id: Identifier
    driver_id: Identifier
    promised_window: PromisedWindow
    delivered_at: AwareDatetime | None
    outcome: Outcome
    cause: Literal["driver", "external"] | None = None
    source: Literal["station", "retail"]
    order_id: Identifier | None = None
    recorded_at: datetime

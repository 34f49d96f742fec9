"""Recording and reading deliveries, with who may do which."""

from __future__ import annotations

from typing import Protocol

from flexfleet.clock import CLOCK_SKEW, Clock, utc_now
from flexfleet.deliveries.model import Delivery, DeliveryForDriver, DeliveryReport
from flexfleet.deliveries.repository import DeliveryExists
from flexfleet.errors import Conflict, NotFound, Unprocessable
from flexfleet.identity import Caller, Role


class DeliveryStore(Protocol):
    def add(self, delivery: Delivery) -> None:
        """Stores a new delivery; DeliveryExists, carrying the stored one, if the id is taken."""

    def get(self, delivery_id: str) -> Delivery | None: ...


def _same_report(stored: Delivery, report: DeliveryReport) -> bool:
    return DeliveryReport.model_validate(stored.model_dump(exclude={"recorded_at"})) == report


class DeliveryService:
    def __init__(self, deliveries: DeliveryStore, clock: Clock = utc_now) -> None:
        self._deliveries = deliveries
        self._clock = clock

    def record(self, caller: Caller, report: DeliveryReport) -> tuple[Delivery, bool]:
        """The delivery and whether it is new. The same report again changes nothing."""
        caller.require(Role.SYSTEM, Role.OPS)
        caller.refuse_own_record(
            {"driverId": report.driver_id, "customerId": report.customer_id}, "this delivery"
        )
        now = self._clock()
        if report.delivered_at is not None and report.delivered_at > now + CLOCK_SKEW:
            raise Unprocessable(
                "deliveredAt is in the future: a delivery is recorded once it has happened",
                field="deliveredAt",
            )
        delivery = Delivery(**report.model_dump(), recorded_at=now)
        try:
            self._deliveries.add(delivery)
        except DeliveryExists as taken:
            if taken.existing is not None and _same_report(taken.existing, report):
                return taken.existing, False
            raise Conflict(
                f"delivery {report.delivery_id} was already recorded with other details",
                field="deliveryId",
            ) from taken
        return delivery, True

    def get(self, caller: Caller, delivery_id: str) -> Delivery | DeliveryForDriver:
        caller.require(Role.CUSTOMER, Role.DRIVER, Role.OPS)
        delivery = self._deliveries.get(delivery_id)
        if delivery is None or not _may_see(caller, delivery):
            raise NotFound(f"no delivery {delivery_id}", field="deliveryId")
        if Role.OPS in caller.roles or delivery.customer_id == caller.sub:
            return delivery
        shown = set(DeliveryForDriver.model_fields)
        return DeliveryForDriver.model_validate(delivery.model_dump(include=shown))


def _may_see(caller: Caller, delivery: Delivery) -> bool:
    return (
        Role.OPS in caller.roles
        or (Role.CUSTOMER in caller.roles and delivery.customer_id == caller.sub)
        or (Role.DRIVER in caller.roles and delivery.driver_id == caller.sub)
    )

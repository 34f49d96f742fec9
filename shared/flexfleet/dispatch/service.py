"""A dispatch run for one mall: under the mall's lease, read its waiting orders and drivers on
duty, let the engine decide, write each trip under its conditions, and note why each order left
waits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flexfleet.blocks.model import Booking
from flexfleet.clock import Clock, utc_now
from flexfleet.dispatch.config import LEASE, UNTIL_MOVES
from flexfleet.dispatch.mall_state import (
    METRES_PER_MINUTE,
    SERVICE,
    OnDuty,
    drivers,
    moment_at,
    one_booking_each,
    open_orders,
)
from flexfleet.dispatch.state import Decision, Driver, OpenOrder, Service
from flexfleet.dispatch.travel import StraightLine
from flexfleet.geo import Point
from flexfleet.malls.model import Mall
from flexfleet.retail.model import Order, Unassigned
from flexfleet.tiers import StandingOf

Decide = Callable[[list[OpenOrder], list[Driver], float, Service, StraightLine], Decision]


class Catalogue(Protocol):
    def all(self) -> list[Mall]: ...
    def get(self, mall_id: str) -> Mall | None: ...


# Instant offers: where an order no driver on a block can serve goes.
class InstantOffering(Protocol):
    def offer_out(self, mall: Mall, order: Order, now: datetime) -> object: ...


class DispatchStore(Protocol):
    def waiting(self, mall_id: str) -> list[Order]: ...
    def on_duty(self, mall_id: str, now: datetime) -> list[Booking]: ...
    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def assign(
        self,
        booking: Booking,
        placed: list[Order],
        assigned: list[Order],
        busy_until: datetime,
        last_dropoff: Point,
    ) -> bool: ...
    def note_unassigned(self, order_id: str, unassigned: Unassigned | None) -> bool: ...


class Leases(Protocol):
    def take(self, mall_id: str, holder: str, now: datetime, until: datetime) -> bool: ...
    def give_back(self, mall_id: str, holder: str) -> None: ...


@dataclass
class DispatchOutcome:
    assigned: int = 0  # orders
    flagged: int = 0  # orders whose reason for waiting was written (a new or a changed one)
    lost_races: int = 0  # trips another run or a client's change got to first
    skipped: int = 0  # malls another run was dispatching: the next run takes them


class DispatchService:
    def __init__(
        self,
        store: DispatchStore,
        leases: Leases,
        malls: Catalogue,
        standing_of: StandingOf,
        decide: Decide,
        clock: Clock = utc_now,
        instant_offers: InstantOffering | None = None,
    ) -> None:
        self._store = store
        self._leases = leases
        self._malls = malls
        self._standing_of = standing_of
        self._decide = decide
        self._clock = clock
        self._travel = StraightLine(METRES_PER_MINUTE)
        self._instant_offers = instant_offers

    def run_all(self) -> DispatchOutcome:
        """Every mall of the catalogue, as read in one query."""
        outcome = DispatchOutcome()
        for mall in self._malls.all():
            self._run_mall(mall, outcome)
        return outcome

    def run(self, mall_ids: Sequence[str]) -> DispatchOutcome:
        """The malls a stream batch touched."""
        outcome = DispatchOutcome()
        for mall_id in sorted(set(mall_ids)):
            mall = self._malls.get(mall_id)
            if mall is not None:
                self._run_mall(mall, outcome)
        return outcome

    def _run_mall(self, mall: Mall, outcome: DispatchOutcome) -> None:
        # A mall with nothing waiting costs one query, and no lease.
        waiting = self._store.waiting(mall.mall_id)
        if not waiting:
            return
        holder, now = uuid.uuid4().hex, self._clock()
        if not self._leases.take(mall.mall_id, holder, now, now + LEASE):
            outcome.skipped += 1
            return
        try:
            self._dispatch(mall, waiting, now, outcome)
        finally:
            self._leases.give_back(mall.mall_id, holder)

    def _dispatch(
        self, mall: Mall, waiting: list[Order], now: datetime, outcome: DispatchOutcome
    ) -> None:
        orders = {o.order_id: o for o in waiting}
        bookings = one_booking_each(self._on_duty(mall, now))
        decision = self._decide(
            open_orders(mall.location, waiting, now),
            drivers(mall.location, bookings.values(), now),
            0.0,
            SERVICE,
            self._travel,
        )
        for trip in decision.assignments:
            booking = bookings[trip.driver_id].booking
            placed = [orders[order_id] for order_id in trip.order_ids]
            assigned = [o.assigned_to(booking.driver_id, booking.block_id, now) for o in placed]
            last = placed[-1].dropoff
            if self._store.assign(
                booking,
                placed,
                assigned,
                moment_at(now, trip.free_at),
                Point(lat=last.lat, lng=last.lng),
            ):
                outcome.assigned += len(placed)
            else:
                outcome.lost_races += 1
        self._left_waiting(mall, decision, orders, now, outcome)

    def _on_duty(self, mall: Mall, now: datetime) -> list[OnDuty]:
        """Bookings checked in at the mall and not ended, with their driver's tier. A driver
        deactivated after a review takes no more work, whatever blocks they hold."""
        bookings = self._store.on_duty(mall.mall_id, now)
        standings = self._store.standing_items(sorted({b.driver_id for b in bookings}))
        on_duty = []
        for booking in bookings:
            standing = self._standing_of(booking.driver_id, standings.get(booking.driver_id))
            if not standing.deactivated:
                on_duty.append(OnDuty(booking, standing.tier))
        return on_duty

    def _left_waiting(
        self,
        mall: Mall,
        decision: Decision,
        orders: dict[str, Order],
        now: datetime,
        outcome: DispatchOutcome,
    ) -> None:
        """Everything done with the orders this run leaves waiting: each carries the engine's
        reason (a held order none), written only when it changes."""
        reasons: dict[str, Unassigned | None] = dict.fromkeys(decision.held)
        for left in decision.unassigned:
            until = None if left.until is None else moment_at(now, left.until)
            reasons[left.order_id] = Unassigned(reason=left.reason, until=until, since=now)
        for order_id, reason in reasons.items():
            noted = orders[order_id].unassigned
            if _same(noted, reason):
                continue
            if noted is not None and reason is not None and noted.reason == reason.reason:
                reason = reason.model_copy(update={"since": noted.since})
            if self._store.note_unassigned(order_id, reason):
                outcome.flagged += 1
        # An order no driver on a block can serve in time goes out as an instant offer to
        # nearby online drivers, better tiers first. Offering out again every run adds nothing
        # while an offer is pending.
        if self._instant_offers is not None:
            for left in decision.unassigned:
                if left.reason in ("no_driver_in_reach", "drivers_busy"):
                    self._instant_offers.offer_out(mall, orders[left.order_id], now)


def _same(noted: Unassigned | None, reason: Unassigned | None) -> bool:
    if noted is None or reason is None:
        return noted is reason
    if noted.reason != reason.reason:
        return False
    if noted.until is None or reason.until is None:
        return noted.until is reason.until
    return abs(noted.until - reason.until) <= UNTIL_MOVES

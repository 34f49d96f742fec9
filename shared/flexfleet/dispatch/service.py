"""A dispatch run for one mall: read its waiting orders and drivers on duty, let the rule decide,
and write each assignment and flag under its condition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flexfleet.blocks.model import Booking
from flexfleet.clock import Clock, utc_now
from flexfleet.dispatch.first_ready import first_ready_first_assigned
from flexfleet.dispatch.model import DriverOnDuty, Plan, WaitingOrder
from flexfleet.malls.model import Mall
from flexfleet.retail.estimates import dispatch_time
from flexfleet.retail.model import Order, Unassignable
from flexfleet.tiers import StandingOf

Rule = Callable[[Sequence[WaitingOrder], Sequence[DriverOnDuty], datetime], Plan]


class Catalogue(Protocol):
    def all(self) -> list[Mall]: ...
    def get(self, mall_id: str) -> Mall | None: ...


# --- instant-offers branch: the hook to instant offers (wired at merge to the engine's reasons).
class InstantOffering(Protocol):
    def offer_out(self, mall: Mall, order: Order, now: datetime) -> object: ...


class DispatchStore(Protocol):
    def waiting(self, mall_id: str) -> list[Order]: ...
    def on_duty(self, mall_id: str, now: datetime) -> list[Booking]: ...
    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def assign(self, order: Order, assigned: Order) -> bool: ...
    def flag(self, order: Order, flagged: Order) -> bool: ...


@dataclass
class DispatchOutcome:
    assigned: int = 0
    flagged: int = 0
    lost_races: int = 0  # assignments another run or a client's change got to first


class DispatchService:
    def __init__(
        self,
        store: DispatchStore,
        malls: Catalogue,
        standing_of: StandingOf,
        rule: Rule = first_ready_first_assigned,
        clock: Clock = utc_now,
        instant_offers: InstantOffering | None = None,  # instant-offers branch
    ) -> None:
        self._store = store
        self._malls = malls
        self._standing_of = standing_of
        self._rule = rule
        self._clock = clock
        self._instant_offers = instant_offers  # instant-offers branch

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
        now = self._clock()
        orders = {o.order_id: o for o in self._store.waiting(mall.mall_id)}
        if not orders:
            return
        free = [
            b
            for b in self._store.on_duty(mall.mall_id, now)
            if b.current_order_id is None and b.start <= now
        ]
        # A driver deactivated after a review takes no more work, whatever blocks they hold.
        standings = self._store.standing_items([b.driver_id for b in free])
        drivers = [
            DriverOnDuty(
                driver_id=b.driver_id,
                block_id=b.block_id,
                waiting_since=b.freed_at or b.checked_in_at or b.start,
                block_end=b.end,
            )
            for b in free
            if not self._standing_of(b.driver_id, standings.get(b.driver_id)).deactivated
        ]
        waiting = [
            WaitingOrder(
                order_id=o.order_id,
                ready_at=o.ready_at,
                deliver_by=o.deliver_by,
                trip=dispatch_time(mall.location, o.dropoff),
                flagged=o.unassignable.reason if o.unassignable else None,
            )
            for o in orders.values()
        ]
        plan = self._rule(waiting, drivers, now)
        for assignment in plan.assignments:
            order = orders[assignment.order_id]
            assigned = order.model_copy(
                update={
                    "status": "assigned",
                    "driver_id": assignment.driver_id,
                    "block_id": assignment.block_id,
                    "assigned_at": now,
                    "status_changed_at": now,
                    "unassignable": None,
                }
            )
            if self._store.assign(order, assigned):
                outcome.assigned += 1
            else:
                outcome.lost_races += 1
        for flag in plan.flags:
            order = orders[flag.order_id]
            flagged = order.model_copy(
                update={"unassignable": Unassignable(reason=flag.reason, flagged_at=now)}
            )
            if self._store.flag(order, flagged):
                outcome.flagged += 1
        # --- instant-offers branch: an order the rule left waiting, unflagged, found no driver on
        # a block free for it (no_driver_in_reach / drivers_busy): it goes out as an instant offer.
        if self._instant_offers is not None:
            decided = {a.order_id for a in plan.assignments} | {f.order_id for f in plan.flags}
            for order in orders.values():
                if order.order_id not in decided and order.unassignable is None:
                    self._instant_offers.offer_out(mall, order, now)

"""The first dispatch rule: the order ready longest goes to the driver free longest.

Pure: no I/O and no clock; the caller passes `now`. The dispatch engine replaces it behind the
same call: `(orders, drivers, now) -> Plan`.
- Only orders that are ready are assigned; one not ready yet waits.
- An order whose deliverBy can no longer be met, even by a driver leaving now, is flagged for
  ops with the reason and is not assigned: ops cancel it or the retailer places it again, rather
  than it making every order behind it late too.
- A driver is free only while their block still has time for the whole trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flexfleet.dispatch.model import Assignment, DriverOnDuty, Flag, Plan, WaitingOrder


def earliest_delivery(order: WaitingOrder, now: datetime) -> datetime:
    return max(now, order.ready_at) + order.trip


def first_ready_first_assigned(
    orders: Sequence[WaitingOrder], drivers: Sequence[DriverOnDuty], now: datetime
) -> Plan:
    plan = Plan()
    free = sorted(drivers, key=lambda d: (d.waiting_since, d.driver_id))
    for order in sorted(orders, key=lambda o: (o.ready_at, o.order_id)):
        arrival = earliest_delivery(order, now)
        if arrival > order.deliver_by:
            reason = (
                f"deliverBy {order.deliver_by.isoformat()} can no longer be met: the earliest "
                f"delivery is {arrival.isoformat()}"
            )
            if order.flagged is None:
                plan.flags.append(Flag(order.order_id, reason))
            continue
        if order.ready_at > now:
            continue
        driver = next((d for d in free if d.block_end >= arrival), None)
        if driver is None:
            continue
        free.remove(driver)
        plan.assignments.append(Assignment(order.order_id, driver.driver_id, driver.block_id))
    return plan

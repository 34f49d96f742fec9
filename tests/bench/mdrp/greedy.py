"""The greedy baseline: every round, each waiting order, oldest first, goes to the idle courier
who reaches its restaurant first. No bundling, no look-ahead: the floor the engine must beat."""

from __future__ import annotations

from tests.bench.mdrp.instance import Instance, Order
from tests.bench.mdrp.simulate import CourierState, Trip, plan_trip


def greedy(
    instance: Instance, now: int, waiting: list[Order], couriers: list[CourierState]
) -> list[Trip]:
    idle = {s.courier_id: s for s in couriers if s.free_at <= now}
    trips = []
    for order in sorted(waiting, key=lambda o: (o.placed, o.order_id)):
        options = [
            (instance.travel(s.place, order.restaurant), s.courier_id, trip)
            for s in idle.values()
            if (trip := plan_trip(instance, s, [order], now)) is not None
        ]
        if not options:
            continue
        _, courier_id, trip = min(options, key=lambda option: option[:2])
        trips.append(trip)
        del idle[courier_id]
    return trips

"""An MDRP day replayed minute by minute: a policy decides, the simulator moves the couriers.

The MDRP's rules, as the instance README and the evaluator state them:
- an order is seen only from its placement time, and a courier only from their on-time;
- a courier accepts every assignment, is never diverted, and waits where they last dropped off;
- pickup is at max(ready, arrival + pickup_service/2), and the courier leaves half a service
  later; a drop-off is at arrival + dropoff_service/2, and the courier leaves half a service later;
- nothing is picked up after the courier's off-time; drop-offs may follow it;
- travel is ceil(euclidean / meters_per_minute), in whole minutes.
Beyond the evaluator, nothing is dropped off past the maximum click-to-door (90 minutes): an
order that can no longer make it is never dispatched, and counts as undelivered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.bench.mdrp.instance import Courier, Instance, Order


@dataclass(frozen=True)
class Move:
    courier_id: str
    departure: int
    origin: str
    destination: str


@dataclass(frozen=True)
class Trip:
    """One bundle's plan: from where the courier will be, to the restaurant, to each door."""

    courier_id: str
    order_ids: tuple[str, ...]
    assigned_at: int
    pickup: int
    dropoffs: tuple[int, ...]
    moves: tuple[Move, ...]
    free_at: int  # when the courier leaves the last door


@dataclass
class CourierState:
    courier: Courier
    place: str  # where they are, or will be once free
    free_at: int
    moves: list[Move] = field(default_factory=list)

    @property
    def courier_id(self) -> str:
        return self.courier.courier_id


def half(service: int) -> int:
    """The first half of a service time, rounded up, so that whole-minute times stay feasible."""
    return -(-service // 2)


def plan_trip(
    instance: Instance, state: CourierState, orders: Sequence[Order], now: int
) -> Trip | None:
    """The trip that carries these orders (one restaurant) from the courier's next free moment,
    or None if it would pick up after the off-time or drop one off past the maximum."""
    restaurant = orders[0].restaurant
    departure = max(now, state.free_at)
    arrival = departure + instance.travel(state.place, restaurant)
    pickup = max(max(o.ready for o in orders), arrival + half(instance.pickup_service))
    if pickup > state.courier.off:
        return None
    origin = state.courier_id if state.place == state.courier_id else state.place
    moves = [Move(state.courier_id, departure, "0" if origin == state.courier_id else origin,
                  restaurant)]  # fmt: skip
    leave = pickup + instance.pickup_service - half(instance.pickup_service)
    place, dropoffs = restaurant, []
    for order in orders:
        moves.append(Move(state.courier_id, leave, place, order.order_id))
        drop = leave + instance.travel(place, order.order_id) + half(instance.dropoff_service)
        if drop - order.placed > instance.max_click_to_door:
            return None
        dropoffs.append(drop)
        leave = drop + instance.dropoff_service - half(instance.dropoff_service)
        place = order.order_id
    return Trip(
        state.courier_id,
        tuple(o.order_id for o in orders),
        now,
        pickup,
        tuple(dropoffs),
        tuple(moves),
        leave,
    )


# A policy sees the orders waiting and the couriers on duty at `now`, and answers bundles to
# assign: (courier, orders of one restaurant in drop-off order). It may use plan_trip.
Policy = Callable[[Instance, int, list[Order], list[CourierState]], list[Trip]]


@dataclass
class Replay:
    instance: Instance
    trips: list[Trip] = field(default_factory=list)
    couriers: dict[str, CourierState] = field(default_factory=dict)
    round_seconds: list[float] = field(default_factory=list)


def replay(instance: Instance, policy: Policy, cadence: int = 1, foresight: int = 0) -> Replay:
    """Runs the day: every `cadence` minutes the policy decides on what is known by then.

    `foresight` shows each order that many minutes before its placement (but never before the
    day's first placement or on-time, where the replay starts). It breaks the MDRP's first rule,
    so the evaluator would call such a solution INFEASIBLE: it only measures what knowing the
    near future would be worth (`python -m tests.bench.mdrp study`)."""
    result = Replay(instance)
    states = {c.courier_id: CourierState(c, c.courier_id, c.on) for c in instance.couriers.values()}
    result.couriers = states
    waiting: dict[str, Order] = {}
    pending = sorted(instance.orders.values(), key=lambda o: o.placed)
    start = min(min(o.placed for o in pending), min(c.on for c in instance.couriers.values()))
    end = max(o.placed for o in pending) + instance.max_click_to_door
    seen = 0
    for now in range(start, end + 1, cadence):
        while seen < len(pending) and pending[seen].placed - foresight <= now:
            waiting[pending[seen].order_id] = pending[seen]
            seen += 1
        # Too late for anyone: undelivered, never dispatched.
        for order_id in [o for o, order in waiting.items() if _hopeless(instance, order, now)]:
            del waiting[order_id]
        if not waiting:
            continue
        on_duty = [s for s in states.values() if s.courier.on <= now <= s.courier.off]
        began = time.perf_counter()
        trips = policy(instance, now, list(waiting.values()), on_duty)
        result.round_seconds.append(time.perf_counter() - began)
        for trip in trips:
            _apply(instance, states, waiting, trip, now, result)
    return result


def _hopeless(instance: Instance, order: Order, now: int) -> bool:
    restaurant = order.restaurant
    earliest = max(order.ready, now + half(instance.pickup_service)) + (
        instance.pickup_service - half(instance.pickup_service)
    )
    drop = earliest + instance.travel(restaurant, order.order_id) + half(instance.dropoff_service)
    return drop - order.placed > instance.max_click_to_door


def _apply(
    instance: Instance,
    states: dict[str, CourierState],
    waiting: dict[str, Order],
    trip: Trip,
    now: int,
    result: Replay,
) -> None:
    """Commits a trip if it is still possible: its orders waiting, its courier's plan as given."""
    if any(o not in waiting for o in trip.order_ids):
        return
    state = states[trip.courier_id]
    again = plan_trip(instance, state, [waiting[o] for o in trip.order_ids], now)
    if again is None or again != trip:
        return
    for order_id in trip.order_ids:
        del waiting[order_id]
    state.moves.extend(trip.moves)
    state.place = trip.order_ids[-1]
    state.free_at = trip.free_at
    result.trips.append(trip)

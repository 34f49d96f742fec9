"""The dispatch engine as an MDRP policy: the instance's state in the engine's terms, and its
assignments back as trips the simulator checks against the MDRP's rules."""

from __future__ import annotations

from flexfleet.dispatch.config import DEFAULT, Policy
from flexfleet.dispatch.engine import decide
from flexfleet.dispatch.state import Driver, OpenOrder, Place, Service
from flexfleet.dispatch.travel import StraightLine
from tests.bench.mdrp.instance import Instance, Order
from tests.bench.mdrp.simulate import CourierState, Trip, half, plan_trip


def service_of(instance: Instance) -> Service:
    pickup, dropoff = instance.pickup_service, instance.dropoff_service
    return Service(
        pickup_before=half(pickup),
        pickup_after=pickup - half(pickup),
        dropoff_before=half(dropoff),
        dropoff_after=dropoff - half(dropoff),
    )


def open_order(instance: Instance, order: Order) -> OpenOrder:
    return OpenOrder(
        order_id=order.order_id,
        store_id=order.restaurant,
        store=Place(*instance.restaurants[order.restaurant]),
        dropoff=Place(order.x, order.y),
        placed=order.placed,
        ready=order.ready,
        deadline=order.placed + instance.max_click_to_door,
    )


def driver(instance: Instance, state: CourierState, now: int) -> Driver:
    courier = state.courier
    guaranteed = (courier.off - courier.on) * instance.pay_per_hour / 60
    carried = sum(1 for move in state.moves if move.destination in instance.orders)
    return Driver(
        driver_id=state.courier_id,
        place=Place(*instance.point(state.place)),
        free_from=max(now, state.free_at),
        off=courier.off,
        covered=guaranteed / instance.pay_per_order - carried,
        order_pay=instance.pay_per_order,
        free_after_off=True,  # drop-offs may follow the off-time, at no extra pay
    )


def policy(
    instance: Instance,
    now: int,
    waiting: list[Order],
    couriers: list[CourierState],
    tuning: Policy = DEFAULT,
) -> list[Trip]:
    decision = decide(
        [open_order(instance, o) for o in waiting],
        [driver(instance, s, now) for s in couriers],
        now,
        service_of(instance),
        StraightLine(instance.meters_per_minute, whole_minutes=True),
        tuning,
    )
    states = {s.courier_id: s for s in couriers}
    orders = {o.order_id: o for o in waiting}
    trips = []
    for assignment in decision.assignments:
        trip = plan_trip(
            instance, states[assignment.driver_id], [orders[o] for o in assignment.order_ids], now
        )
        # The engine plans by the same rules as the simulator: a different plan is a defect.
        if trip is None or (trip.pickup, trip.dropoffs) != (assignment.pickup, assignment.dropoffs):
            raise AssertionError(f"engine and simulator disagree on {assignment}: {trip}")
        trips.append(trip)
    return trips

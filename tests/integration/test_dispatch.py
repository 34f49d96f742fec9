"""Dispatch on moto: the engine's decisions written as trips, bundles held by one booking, why an
order waits, and the lease that keeps two runs for one mall apart."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from math import hypot
from typing import Any

import pytest

from flexfleet.blocks.model import Booking
from flexfleet.dispatch.config import LATE_GRACE, LEASE, UNTIL_MOVES
from flexfleet.dispatch.mall_state import METRES_PER_MINUTE, place_of
from flexfleet.dispatch.service import DispatchService
from flexfleet.dispatch.state import Assignment, Decision, Driver, OpenOrder, Unassigned
from flexfleet.retail.model import DeliveryOutcome, Order, OrderForCustomer, OrderForDriver
from flexfleet.standing.review import ReviewDecisionRequest, driver_standing
from infra.local_runtime.template import Template
from tests import TEMPLATE
from tests.integration.conftest import World
from tests.integration.test_retail import (
    CUSTOMER,
    MALL,
    NEAR_MALL_POINT,
    OPS,
    RETAILER,
    check_in_at_start,
    driver,
    fantastic,
    order_body,
    publish,
    setup_mall,
)


def on_duty(world: World, *drivers: str) -> None:
    """Fantastic drivers checked in on block b-1 at the mall, which has just started."""
    setup_mall(world)
    fantastic(world, *drivers)
    publish(world)
    for name in drivers:
        world.blocks.accept(driver(name), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    for name in drivers:
        check_in_at_start(world, name)
    world.now += timedelta(minutes=10)


def place(world: World, *order_ids: str, **overrides: Any) -> None:
    for order_id in order_ids:
        world.orders.place(RETAILER, order_body(world, order_id, **overrides))


def stored(world: World, order_id: str) -> Order:
    order = world.order_repository.get(order_id)
    assert order is not None
    return order


def booking(world: World, driver_id: str) -> Booking:
    found = world.block_repository.booking("b-1", driver_id)
    assert found is not None
    return found


def scripted(world: World, answer: Callable[[list[OpenOrder], list[Driver]], Decision]) -> Any:
    """The world's dispatch with an engine that answers as told."""

    def engine(orders: list[OpenOrder], drivers: list[Driver], *_: Any) -> Decision:
        return answer(orders, drivers)

    return DispatchService(
        world.dispatch_repository,
        world.leases,
        world.malls,
        driver_standing,
        engine,
        lambda: world.now,
    )


def trip(driver_id: str, *order_ids: str, free_at: float = 30.0) -> Assignment:
    return Assignment(
        driver_id=driver_id,
        store_id=RETAILER.sub,
        order_ids=order_ids,
        depart=0.0,
        pickup=5.0,
        dropoffs=tuple(20.0 + i for i in range(len(order_ids))),
        free_at=free_at,
    )


# ------------------------------------------------------------------ the engine's state
def test_orders_at_a_mall_with_three_drivers_are_all_assigned_in_one_run(world: World) -> None:
    on_duty(world, "a", "b", "c")
    place(world, "o-1", "o-2", "o-3")

    outcome = world.dispatch.run([MALL])

    assert outcome.assigned == 3 and outcome.lost_races == 0
    orders = [stored(world, o) for o in ("o-1", "o-2", "o-3")]
    assert {o.status for o in orders} == {"assigned"}
    held = {d: booking(world, d).current_order_ids for d in ("a", "b", "c")}
    assert set().union(*held.values()) == {"o-1", "o-2", "o-3"}
    for name in ("a", "b", "c"):
        if held[name]:
            seen = booking(world, name)
            assert seen.busy_until is not None and seen.busy_until > world.now
            assert seen.last_dropoff is not None
    assert world.dispatch.run([MALL]).assigned == 0


def test_the_engine_sees_minutes_from_now_metres_from_the_mall_and_only_active_drivers(
    world: World,
) -> None:
    on_duty(world, "a", "gone")
    world.standing.decide(OPS, "gone", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    place(world, "o-1", readyAt=(world.now + timedelta(minutes=10)).isoformat())
    seen: dict[str, Any] = {}

    def look(orders: list[OpenOrder], drivers: list[Driver]) -> Decision:
        seen.update(orders=orders, drivers=drivers)
        return Decision(held=[o.order_id for o in orders])

    scripted(world, look).run([MALL])

    (order,) = seen["orders"]
    assert (order.placed, order.ready, order.deadline) == (0, 10, 120)
    assert 1500 < order.dropoff.x < 2000 and 3500 < order.dropoff.y < 3700  # NE of the mall
    (only,) = seen["drivers"]
    assert (only.driver_id, only.free_from, only.off, only.tier, only.queues) == (
        "a",
        0,
        240,
        0,
        True,
    )


# ------------------------------------------------------------------ bundles
def test_a_bundle_is_held_by_one_booking_and_frees_its_driver_when_its_last_order_ends(
    world: World,
) -> None:
    on_duty(world, "a")
    place(world, "o-1", "o-2", "o-3")
    bundle = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-1", "o-2", "o-3")]))

    assert bundle.run([MALL]).assigned == 3
    assert booking(world, "a").current_order_ids == {"o-1", "o-2", "o-3"}
    assert booking(world, "a").busy_until == world.now + timedelta(minutes=30)
    assert [o.order_id for o in world.orders.assignments(driver("a"), "a").orders] == [
        "o-1",
        "o-2",
        "o-3",
    ]

    world.orders.cancel(RETAILER, "o-3")
    for order_id in ("o-1", "o-2"):
        world.orders.pickup(driver("a"), order_id, NEAR_MALL_POINT)
    world.orders.deliver(driver("a"), "o-2", DeliveryOutcome(outcome="delivered"))
    assert booking(world, "a").current_order_ids == {"o-1"}  # still on the trip

    world.orders.deliver(
        driver("a"), "o-1", DeliveryOutcome(outcome="undeliverable", cause="external")
    )
    freed = booking(world, "a")
    assert freed.current_order_ids == frozenset() and freed.freed_at == world.now
    assert freed.orders_delivered == 2  # delivered or failed, as before bundles


def test_a_trip_is_written_whole_or_not_at_all(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1", "o-2")
    world.orders.cancel(RETAILER, "o-2")  # after the engine read it as waiting
    cancelled_meanwhile = scripted(
        world, lambda *_: Decision(assignments=[trip("a", "o-1", "o-2")])
    )
    world.order_repository.waiting = lambda mall_id: [  # type: ignore[method-assign]
        stored(world, "o-1"),
        stored(world, "o-2").model_copy(update={"status": "placed"}),
    ]

    outcome = cancelled_meanwhile.run([MALL])

    assert (outcome.assigned, outcome.lost_races) == (0, 1)
    assert stored(world, "o-1").status == "placed"
    assert booking(world, "a").current_order_ids == frozenset()


def test_an_order_is_assigned_once_however_often_a_decision_is_replayed(world: World) -> None:
    on_duty(world, "a", "b")
    place(world, "o-1")
    stale = [stored(world, "o-1")]
    world.order_repository.waiting = lambda mall_id: list(stale)  # type: ignore[method-assign]
    to_a = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-1")]))
    to_b = scripted(world, lambda *_: Decision(assignments=[trip("b", "o-1")]))

    first, redelivered, other_driver = to_a.run([MALL]), to_a.run([MALL]), to_b.run([MALL])

    assert (first.assigned, redelivered.lost_races, other_driver.lost_races) == (1, 1, 1)
    assert stored(world, "o-1").driver_id == "a"
    assert booking(world, "b").current_order_ids == frozenset()


def test_a_driver_holding_a_trip_is_given_no_second_one(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1", "o-2")
    one = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-1")]))
    other = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-2")]))

    one.run([MALL])
    outcome = other.run([MALL])

    assert outcome.lost_races == 1
    assert stored(world, "o-2").status == "placed"
    assert booking(world, "a").current_order_ids == {"o-1"}


def test_the_real_engine_counts_a_busy_driver_and_assigns_them_once_free(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    world.dispatch.run([MALL])
    place(world, "o-2")

    assert world.dispatch.run([MALL]).assigned == 0
    assert stored(world, "o-2").status == "placed"

    world.orders.pickup(driver("a"), "o-1", NEAR_MALL_POINT)
    world.now += timedelta(minutes=15)
    world.orders.deliver(driver("a"), "o-1", DeliveryOutcome(outcome="delivered"))
    world.dispatch.run([MALL])
    assert stored(world, "o-2").driver_id == "a"


def test_a_driver_late_on_a_trip_is_given_no_second_one_and_the_order_says_why(
    world: World,
) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    world.dispatch.run([MALL])
    world.orders.pickup(driver("a"), "o-1", NEAR_MALL_POINT)
    late = booking(world, "a")
    assert late.busy_until is not None and late.last_dropoff is not None
    world.now = late.busy_until + timedelta(minutes=5)
    # Delivered at the mall by when the driver could bring it if free now: not if free later.
    mall = world.malls.get(MALL)
    assert mall is not None
    back = place_of(mall.location, late.last_dropoff)
    minutes = hypot(back.x, back.y) / METRES_PER_MINUTE + 9
    place(
        world,
        "o-2",
        dropoff={"lat": mall.location.lat, "lng": mall.location.lng, "address": "the mall"},
        deliverBy=(world.now + timedelta(minutes=minutes)).isoformat(),
    )

    outcome = world.dispatch.run([MALL])

    assert (outcome.assigned, outcome.lost_races, outcome.flagged) == (0, 0, 1)
    why = stored(world, "o-2").unassigned
    assert why is not None and why.reason == "drivers_busy"
    assert why.until == world.now + LATE_GRACE
    assert booking(world, "a").current_order_ids == {"o-1"}


# ------------------------------------------------------------------ bookings of the last release
def hold_the_old_way(world: World, driver_id: str, order_id: str) -> None:
    """The booking as the release before bundles wrote it: one order in `currentOrderId`, no
    set, no plan."""
    key = {"blockId": {"S": "b-1"}, "driverId": {"S": driver_id}}
    item = world.client.get_item(TableName=world.bookings_table, Key=key)["Item"]
    for name in ("currentOrderIds", "busyUntil", "lastDropoff"):
        item.pop(name, None)
    world.client.put_item(
        TableName=world.bookings_table, Item=item | {"currentOrderId": {"S": order_id}}
    )


def test_a_booking_holding_an_order_the_old_way_is_busy_and_freed_when_it_is_delivered(
    world: World,
) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    world.dispatch.run([MALL])
    hold_the_old_way(world, "a", "o-1")
    place(world, "o-2")

    outcome = world.dispatch.run([MALL])

    assert (outcome.assigned, outcome.lost_races) == (0, 0)
    assert stored(world, "o-2").status == "placed"
    assert booking(world, "a").current_order_ids == {"o-1"}

    world.orders.pickup(driver("a"), "o-1", NEAR_MALL_POINT)
    world.now += timedelta(minutes=15)
    world.orders.deliver(driver("a"), "o-1", DeliveryOutcome(outcome="delivered"))

    freed = booking(world, "a")
    assert freed.current_order_ids == frozenset() and freed.freed_at == world.now
    assert freed.orders_delivered == 1
    key = {"blockId": {"S": "b-1"}, "driverId": {"S": "a"}}
    assert (
        "currentOrderId"
        not in world.client.get_item(TableName=world.bookings_table, Key=key)["Item"]
    )
    assert world.dispatch.run([MALL]).assigned == 1
    assert stored(world, "o-2").driver_id == "a"


def test_a_booking_holding_an_order_the_old_way_takes_no_trip_whatever_the_engine_says(
    world: World,
) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    world.dispatch.run([MALL])
    hold_the_old_way(world, "a", "o-1")
    place(world, "o-2")
    anyway = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-2")]))

    assert anyway.run([MALL]).lost_races == 1
    assert stored(world, "o-2").status == "placed"


def test_a_cancelled_order_frees_a_booking_that_held_it_the_old_way(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    world.dispatch.run([MALL])
    hold_the_old_way(world, "a", "o-1")

    world.orders.cancel(RETAILER, "o-1")

    assert booking(world, "a").current_order_ids == frozenset()
    place(world, "o-2")
    assert world.dispatch.run([MALL]).assigned == 1


# ------------------------------------------------------------------ reasons
def test_an_order_nobody_can_deliver_in_time_says_so_to_ops_alone(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1", deliverBy=(world.now + timedelta(minutes=6)).isoformat())

    assert world.dispatch.run([MALL]).flagged == 1

    as_ops = world.orders.get(OPS, "o-1")
    assert isinstance(as_ops, Order) and as_ops.unassigned is not None
    assert (as_ops.unassigned.reason, as_ops.unassigned.since) == ("past_deadline", world.now)
    assert isinstance(world.orders.get(CUSTOMER, "o-1"), OrderForCustomer)
    assert not hasattr(world.orders.get(CUSTOMER, "o-1"), "unassigned")
    assert "unassigned" not in OrderForDriver.model_fields


def test_a_reason_is_written_once_not_at_every_run(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1", deliverBy=(world.now + timedelta(minutes=6)).isoformat())
    world.dispatch.run([MALL])
    world.requests.reset()

    for _ in range(3):
        world.now += timedelta(minutes=1)
        assert world.dispatch.run([MALL]).flagged == 0

    assert world.requests.counts["UpdateItem"] == 0
    assert stored(world, "o-1").unassigned.since == world.now - timedelta(minutes=3)  # type: ignore[union-attr]


def test_drivers_busy_carries_its_until_and_is_rewritten_only_when_it_moves(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    until = {"minutes": 20.0}
    busy = scripted(
        world,
        lambda orders, _: Decision(
            unassigned=[Unassigned(o.order_id, "drivers_busy", until["minutes"]) for o in orders]
        ),
    )
    first = world.now

    busy.run([MALL])
    world.now += timedelta(minutes=1)
    until["minutes"] = 19.0 + UNTIL_MOVES / timedelta(minutes=1)  # moved by the tolerance
    assert busy.run([MALL]).flagged == 0
    until["minutes"] = 30.0
    assert busy.run([MALL]).flagged == 1

    why = stored(world, "o-1").unassigned
    assert why is not None and why.reason == "drivers_busy"
    assert (why.until, why.since) == (world.now + timedelta(minutes=30), first)


def test_a_reason_is_cleared_when_the_order_is_held_or_assigned(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1", "o-2")
    reasons = scripted(
        world,
        lambda orders, _: Decision(
            unassigned=[Unassigned(o.order_id, "no_driver_in_reach") for o in orders]
        ),
    )
    reasons.run([MALL])
    then = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-1")], held=["o-2"]))

    assert then.run([MALL]).flagged == 1  # o-2's reason removed; o-1's goes with its trip
    assert stored(world, "o-1").unassigned is None and stored(world, "o-1").status == "assigned"
    assert stored(world, "o-2").unassigned is None


def test_a_reason_is_not_written_on_an_order_that_moved_meanwhile(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    stale = [stored(world, "o-1")]
    world.orders.cancel(RETAILER, "o-1")
    world.order_repository.waiting = lambda mall_id: list(stale)  # type: ignore[method-assign]
    reasons = scripted(
        world, lambda *_: Decision(unassigned=[Unassigned("o-1", "no_driver_in_reach")])
    )

    assert reasons.run([MALL]).flagged == 0
    assert stored(world, "o-1").unassigned is None and stored(world, "o-1").status == "cancelled"


# ------------------------------------------------------------------ the lease
def test_the_lease_outlasts_the_dispatch_functions_timeout() -> None:
    timeout = Template(TEMPLATE).properties("DispatchFunction")["Timeout"]

    assert LEASE > timedelta(seconds=timeout)


def test_two_runs_at_once_for_one_mall_assign_each_order_once(world: World) -> None:
    on_duty(world, "a", "b", "c")
    place(world, "o-1", "o-2", "o-3", "o-4")
    both_at_the_lease = threading.Barrier(2)
    take = world.leases.take

    def together(*args: Any) -> bool:
        both_at_the_lease.wait(timeout=10)
        return take(*args)

    world.leases.take = together  # type: ignore[method-assign,assignment]
    outcomes = []

    def run() -> None:
        outcomes.append(world.dispatch.run([MALL]))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(o.skipped for o in outcomes) == [0, 1]
    holders = {d: booking(world, d).current_order_ids for d in ("a", "b", "c")}
    held = [order_id for orders in holders.values() for order_id in orders]
    assert sum(o.assigned for o in outcomes) == len(held) == len(set(held))
    for driver_id, orders in holders.items():
        assert {stored(world, o).driver_id for o in orders} <= {driver_id}
    assigned = {o for o in ("o-1", "o-2", "o-3", "o-4") if stored(world, o).status == "assigned"}
    assert assigned == set(held)


def test_two_overlapping_runs_without_the_lease_still_assign_each_order_once(
    world: World,
) -> None:
    """The lease keeps runs apart; the writes' conditions alone already keep an order from
    being assigned twice, as when a lease expires under a run that outlived it."""
    on_duty(world, "a", "b")
    place(world, "o-1", "o-2")
    both_decided = threading.Barrier(2)
    # In-process moto does not make a transaction atomic against another thread's, as DynamoDB
    # does; so both runs decide first, then their transactions go one at a time.
    one_at_a_time = threading.Lock()
    assign = world.dispatch_repository.assign

    def after_both_decided(*args: Any) -> bool:
        both_decided.wait(timeout=10)
        with one_at_a_time:
            return assign(*args)

    world.dispatch_repository.assign = after_both_decided  # type: ignore[method-assign,assignment]
    world.leases.take = lambda *_: True  # type: ignore[method-assign]
    to_a = scripted(world, lambda *_: Decision(assignments=[trip("a", "o-1"), trip("b", "o-2")]))
    to_b = scripted(world, lambda *_: Decision(assignments=[trip("b", "o-1"), trip("a", "o-2")]))
    outcomes = []
    threads = [
        threading.Thread(target=lambda s=s: outcomes.append(s.run([MALL]))) for s in (to_a, to_b)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(o.assigned for o in outcomes) + sum(o.lost_races for o in outcomes) == 4
    assert sum(o.assigned for o in outcomes) <= 2
    assigned = {o: stored(world, o).driver_id for o in ("o-1", "o-2")}
    drivers_used = [d for d in assigned.values() if d is not None]
    assert len(drivers_used) == len(set(drivers_used))  # nobody holds two trips
    for name in ("a", "b"):
        assert len(booking(world, name).current_order_ids) <= 1


def test_a_held_lease_makes_another_run_skip_the_mall(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    assert world.leases.take(MALL, "another-run", world.now, world.now + LEASE)

    outcome = world.dispatch.run([MALL])

    assert (outcome.skipped, outcome.assigned) == (1, 0)
    assert stored(world, "o-1").status == "placed"


def test_an_expired_lease_is_taken_over_and_given_back(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")
    assert world.leases.take(MALL, "dead-run", world.now - 2 * LEASE, world.now - LEASE)

    outcome = world.dispatch.run([MALL])

    assert (outcome.skipped, outcome.assigned) == (0, 1)
    assert world.leases.take(MALL, "next-run", world.now, world.now + LEASE)  # it was given back


def test_a_lease_is_given_back_only_by_its_holder(world: World) -> None:
    setup_mall(world)
    world.leases.take(MALL, "run-1", world.now, world.now + LEASE)

    world.leases.give_back(MALL, "run-2")

    assert not world.leases.take(MALL, "run-3", world.now, world.now + LEASE)
    world.leases.give_back(MALL, "run-1")
    assert world.leases.take(MALL, "run-3", world.now, world.now + LEASE)


def test_a_mall_with_nothing_waiting_costs_a_query_and_takes_no_lease(world: World) -> None:
    on_duty(world, "a")
    world.requests.reset()

    world.dispatch.run([MALL])

    assert dict(world.requests.counts) == {"GetItem": 1, "Query": 1}  # the mall, its queue


def test_a_run_that_fails_gives_its_lease_back(world: World) -> None:
    on_duty(world, "a")
    place(world, "o-1")

    def broken(*_: Any) -> Decision:
        raise RuntimeError("engine failed")

    with pytest.raises(RuntimeError):
        scripted(world, broken).run([MALL])

    assert world.dispatch.run([MALL]).assigned == 1

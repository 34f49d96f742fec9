"""The dispatch engine on small hand-made states whose best answer is known, its invariants on
random states, and its assignment step against scipy's dense solver at city scale."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexfleet.dispatch.config import DEFAULT, Policy
from flexfleet.dispatch.engine import decide
from flexfleet.dispatch.state import Driver, OpenOrder, Place, Service
from flexfleet.dispatch.travel import StraightLine
from tests.bench import dispatch_scale

# One minute is 100 m; whole minutes, as the MDRP counts them.
TRAVEL = StraightLine(100.0, whole_minutes=True)
SERVICE = Service(pickup_before=2, pickup_after=2, dropoff_before=2, dropoff_after=2)
STORE = Place(0, 0)


def order(
    order_id: str,
    dropoff: Place,
    ready: float = 0,
    store: Place = STORE,
    store_id: str = "s1",
    placed: float = -10,
    deadline: float = 80,
) -> OpenOrder:
    return OpenOrder(order_id, store_id, store, dropoff, placed, ready, deadline)


def driver(driver_id: str, place: Place, free_from: float = 0, **kwargs: object) -> Driver:
    return Driver(driver_id, place, free_from, off=kwargs.pop("off", 600), **kwargs)  # type: ignore[arg-type]


def test_the_solver_prefers_the_assignment_that_is_best_in_total_over_the_greedy_one() -> None:
    # Both orders are ready now. d1 is nearest to both stores; greedy, oldest first, gives it
    # the old order at A (1 min) and leaves B's to d2, 20 min away. The optimum gives A to d2
    # (2 min) and B to d1 (1 min).
    a = order("a", Place(0, 300), placed=-30)
    b = order("b", Place(200, 300), store=Place(200, 0), store_id="s2", placed=-5)
    d1, d2 = driver("d1", Place(100, 0)), driver("d2", Place(-200, 0))
    decision = decide([a, b], [d1, d2], 0, SERVICE, TRAVEL)
    assert {(x.order_ids, x.driver_id) for x in decision.assignments} == {
        (("a",), "d2"),
        (("b",), "d1"),
    }


def test_two_orders_one_driver_can_carry_only_together_go_as_one_bundle_nearest_door_first() -> (
    None
):
    near, far = order("near", Place(0, 500)), order("far", Place(0, 1500))
    decision = decide([far, near], [driver("d1", Place(0, 100))], 0, SERVICE, TRAVEL)
    (assignment,) = decision.assignments
    assert assignment.order_ids == ("near", "far")
    # At the store at 1 + 2 = 3 (ready at 0); 2 more minutes, 5 to the near door (+2), on
    # 10 more to the far one (+2 after leaving the near door 2 minutes later).
    assert assignment.pickup == 3
    assert assignment.dropoffs == (12, 26)
    assert assignment.free_at == 28


def test_an_order_ready_later_is_held_until_its_driver_must_set_off() -> None:
    later = order("later", Place(0, 500), ready=20)
    d1 = driver("d1", Place(500, 0))  # 5 minutes away, plus 2 before the pickup
    held = decide([later], [d1], 0, SERVICE, TRAVEL, replace(DEFAULT, commit_slack=2))
    assert held.assignments == [] and held.held == ["later"]
    due = decide([later], [d1], 11, SERVICE, TRAVEL, replace(DEFAULT, commit_slack=2))
    assert [a.order_ids for a in due.assignments] == [("later",)]
    assert due.assignments[0].pickup == 20


def test_an_order_nobody_can_deliver_by_its_deadline_is_past_deadline() -> None:
    late = order("late", Place(0, 5000), deadline=40)  # 2 + 50 + 2 after the pickup
    decision = decide([late], [driver("d1", STORE)], 0, SERVICE, TRAVEL)
    assert [(u.order_id, u.reason) for u in decision.unassigned] == [("late", "past_deadline")]


def test_an_order_with_no_driver_in_reach_says_so() -> None:
    lonely = order("lonely", Place(0, 500))
    far = driver("far", Place(10_000, 0))  # 100 minutes away: beyond reach
    decision = decide([lonely], [far], 0, SERVICE, TRAVEL)
    assert [(u.order_id, u.reason) for u in decision.unassigned] == [
        ("lonely", "no_driver_in_reach")
    ]


def test_an_order_whose_drivers_are_all_busy_says_until_when() -> None:
    waiting = order("waiting", Place(0, 500), deadline=200)
    busy = driver("busy", STORE, free_from=90, queues=False)
    decision = decide([waiting], [busy], 0, SERVICE, TRAVEL)
    assert [(u.order_id, u.reason, u.until) for u in decision.unassigned] == [
        ("waiting", "drivers_busy", 90)
    ]


def test_when_drivers_are_short_an_order_on_time_joins_a_bundle_to_free_its_driver() -> None:
    # a and b, at one store, each have a driver standing there; c, at another store 20 minutes
    # away, has none left. Short of drivers, b rides with a, and its driver takes c.
    a, b = order("a", Place(0, 500)), order("b", Place(0, 600))
    c = order("c", Place(2000, 500), store=Place(2000, 0), store_id="s2")
    d1, d2 = driver("d1", STORE), driver("d2", STORE)
    short = decide([a, b, c], [d1, d2], 0, SERVICE, TRAVEL)
    assert sorted(x.order_ids for x in short.assignments) == [("a", "b"), ("c",)]
    # With driver time free, each keeps their own driver and c waits.
    free = decide([a, b, c], [d1, d2], 0, SERVICE, TRAVEL, replace(DEFAULT, driver_minute=0))
    assert sorted(x.order_ids for x in free.assignments) == [("a",), ("b",)]


def test_orders_ready_before_the_driver_comes_bundle_whatever_their_ready_times() -> None:
    # Ready 40 minutes apart, beyond the bundle window, but both waiting when d1 arrives, and
    # the one driver can carry them only together.
    early = order("early", Place(0, 500), ready=-45, placed=-50, deadline=60)
    later = order("later", Place(0, 600), ready=-5, placed=-20, deadline=80)
    decision = decide([early, later], [driver("d1", STORE)], 0, SERVICE, TRAVEL)
    assert [x.order_ids for x in decision.assignments] == [("early", "later")]


def test_a_driver_who_cannot_queue_is_planned_for_but_assigned_only_once_free() -> None:
    soon = order("soon", Place(0, 500), ready=0, deadline=60)
    busy = driver("busy", STORE, free_from=1, queues=False)
    decision = decide([soon], [busy], 0, SERVICE, TRAVEL)
    assert decision.assignments == [] and decision.held == ["soon"]
    queues = decide([soon], [replace(busy, queues=True)], 0, SERVICE, TRAVEL)
    assert [(a.driver_id, a.depart) for a in queues.assignments] == [("busy", 1)]


def test_nothing_is_picked_up_after_the_drivers_off_time() -> None:
    soon = order("soon", Place(0, 500), ready=10)
    leaving = driver("leaving", STORE, off=9)
    staying = driver("staying", Place(3000, 0))
    decision = decide([soon], [leaving, staying], 0, SERVICE, TRAVEL)
    assert [a.driver_id for a in decision.assignments] == ["staying"]


def test_a_better_tier_wins_within_the_tolerance_and_loses_beyond_it() -> None:
    # Ready at 3: neither is late (drivers are not short), so the costs differ by pickup alone.
    now = order("now", Place(0, 500), ready=3)
    fantastic = driver("fantastic", Place(300, 0), tier=0)
    great_one_minute_nearer = driver("great", Place(200, 0), tier=1)
    decision = decide([now], [fantastic, great_one_minute_nearer], 0, SERVICE, TRAVEL)
    assert [a.driver_id for a in decision.assignments] == ["fantastic"]
    great_much_nearer = driver("great", Place(0, 0), tier=1)
    tolerance = Policy(tier_tolerance=0.1)
    decision = decide([now], [fantastic, great_much_nearer], 0, SERVICE, TRAVEL, tolerance)
    assert [a.driver_id for a in decision.assignments] == ["great"]


def test_while_drivers_are_short_a_driver_coming_free_just_in_time_wins_over_an_idle_one() -> None:
    # Both pick "x" up the moment it is ready. "idle" could set off now; "finishing" ends its
    # work at minute 1, so the plan takes up a minute less of its time. "far" can be reached
    # by nobody, so drivers are short. "finishing" has no guaranteed pay left: its order costs
    # $10, a minute at per_dollar 0.1. Unpriced, that minute sends "idle"; priced at 1.5 a
    # minute, the minute of driver time saved outweighs it.
    x = order("x", Place(0, 500), ready=6)
    far = order("far", Place(100_000, 500), store=Place(100_000, 0), store_id="s9")
    idle = driver("idle", Place(400, 0))
    finishing = driver("finishing", Place(300, 0), free_from=1, covered=0, order_pay=10)
    chosen = {}
    for price in (0.0, 1.5):
        policy = replace(DEFAULT, driver_minute=price, per_dollar=0.1)
        decision = decide([x, far], [idle, finishing], 0, SERVICE, TRAVEL, policy)
        (assignment,) = decision.assignments
        assert assignment.pickup == 6
        chosen[price] = assignment.driver_id
    assert chosen == {0.0: "idle", 1.5: "finishing"}


def test_while_drivers_are_short_a_driver_about_to_go_off_takes_work_that_runs_past_it() -> None:
    # Both drivers stand at the store; "leaving" may pick up until minute 5, "staying" all day.
    # Whatever "leaving" does after minute 5 costs no driver time (an MDRP courier's time past
    # the off-time is free): they could pick nothing up then. So, short of drivers ("far" is
    # out of everyone's reach), "leaving" carries both orders and "staying" stays free for the
    # next ones, whichever driver comes first.
    long, short = order("long", Place(0, 2000), ready=2), order("short", Place(0, -300), ready=2)
    far = order("far", Place(100_000, 500), store=Place(100_000, 0), store_id="s9")
    leaving = driver("leaving", STORE, off=5, free_after_off=True)
    staying = driver("staying", STORE, free_after_off=True)
    for drivers in ([leaving, staying], [staying, leaving]):
        decision = decide([long, short, far], drivers, 0, SERVICE, TRAVEL)
        assert [(a.driver_id, a.order_ids, a.pickup) for a in decision.assignments] == [
            ("leaving", ("short", "long"), 2)
        ]


@pytest.mark.parametrize("free_after_off", [True, False])
def test_a_bundle_weighs_driver_time_past_the_off_time_only_where_it_is_free(
    free_after_off: bool,
) -> None:
    # Short of drivers ("far" is out of reach). "west" and "southwest" are ready at 1 and bundle
    # well; "north" is ready at 5. "d0" stays on until minute 20 and can pick up at 6;
    # "leaving" can pick up at 8, its off-time. Where time past the off-time is free
    # (MDRP couriers), the long bundle costs "leaving" nothing once it has picked up, so it
    # carries the bundle at 8, and "d0" takes "north" and is soon free again. Where every
    # minute counts (block drivers), the bundle goes with "d0" at 6, and "leaving" takes the
    # short trip. Every term that weighs the driver's time counts here: if one of them counted
    # time past the off-time, the merge would go the other way.
    west = order("west", Place(-700, -1400), ready=1)
    southwest = order("southwest", Place(-1500, -1200), ready=1)
    north = order("north", Place(0, 500), ready=5)
    far = order("far", Place(100_000, 500), store=Place(100_000, 0), store_id="s9")
    d0 = driver("d0", Place(-200, -300), off=20, free_after_off=free_after_off)
    leaving = driver("leaving", Place(-500, 300), off=8, free_after_off=free_after_off)
    bundle = frozenset({"west", "southwest"})
    expected = (
        {("leaving", bundle, 8), ("d0", frozenset({"north"}), 6)}
        if free_after_off
        else {("d0", bundle, 6), ("leaving", frozenset({"north"}), 8)}
    )
    for orders in ([west, southwest, north, far], [far, north, southwest, west]):
        for drivers in ([d0, leaving], [leaving, d0]):
            decision = decide(orders, drivers, 0, SERVICE, TRAVEL)
            planned = {
                (a.driver_id, frozenset(a.order_ids), a.pickup) for a in decision.assignments
            }
            assert planned == expected


places = st.builds(Place, st.integers(-3000, 3000), st.integers(-3000, 3000))
stores = st.sampled_from([("s1", Place(0, 0)), ("s2", Place(800, 0)), ("s3", Place(0, -900))])


@st.composite
def states(draw: st.DrawFn) -> tuple[list[OpenOrder], list[Driver], int]:
    now = draw(st.integers(0, 30))
    orders = []
    for i in range(draw(st.integers(0, 12))):
        store_id, store = draw(stores)
        placed = draw(st.integers(-40, now))
        ready = placed + draw(st.integers(0, 30))
        orders.append(OpenOrder(f"o{i}", store_id, store, draw(places), placed, ready, placed + 90))
    drivers = [
        Driver(
            f"d{i}",
            draw(places),
            now + draw(st.integers(0, 25)),
            off=now + draw(st.integers(0, 120)),
            tier=draw(st.integers(0, 3)),
            queues=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 8)))
    ]
    return orders, drivers, now


@given(states())
@settings(max_examples=300, deadline=None)
def test_every_decision_keeps_the_rules(state: tuple[list[OpenOrder], list[Driver], int]) -> None:
    orders, drivers, now = state
    decision = decide(orders, drivers, now, SERVICE, TRAVEL)
    by_id = {o.order_id: o for o in orders}
    drivers_by_id = {d.driver_id: d for d in drivers}
    assigned = [o for a in decision.assignments for o in a.order_ids]
    explained = [u.order_id for u in decision.unassigned]
    # Every order has exactly one fate: assigned once, held, or unassigned with a reason.
    assert sorted(assigned + decision.held + explained) == sorted(by_id)
    # No driver holds two jobs at once.
    assert len({a.driver_id for a in decision.assignments}) == len(decision.assignments)
    for a in decision.assignments:
        d = drivers_by_id[a.driver_id]
        bundle = [by_id[o] for o in a.order_ids]
        assert {o.store_id for o in bundle} == {a.store_id}
        assert a.depart >= max(now, d.free_from)
        assert d.queues or d.free_from <= now
        assert a.pickup >= max(o.ready for o in bundle)  # never before ready
        assert a.pickup <= d.off  # nothing picked up after the off-time
        assert all(drop <= o.deadline for drop, o in zip(a.dropoffs, bundle, strict=True))
        assert list(a.dropoffs) == sorted(a.dropoffs) and a.free_at >= a.dropoffs[-1]
    for u in decision.unassigned:
        assert (u.until is not None) == (u.reason == "drivers_busy")


def test_at_city_scale_the_assignment_step_equals_scipys_dense_solver() -> None:
    """1,000 ready orders and 10,000 drivers over a 40 km city: the sparse solve on the grid's
    candidate pairs finds the same objective as the dense solve on every pair (0 gap)."""
    town = dispatch_scale.city()
    bundles = dispatch_scale.singles(town)
    sparse = dispatch_scale.sparse_step(town, bundles)
    dense = dispatch_scale.dense_step(town, bundles)
    assert dense.pairs > 10 * sparse.pairs  # the grid really left most pairs out
    assert math.isclose(sparse.objective, dense.objective, rel_tol=0, abs_tol=1e-6)
    # Most orders found a driver, so the comparison means something.
    assert sparse.objective < 200 * dispatch_scale.POLICY.hold

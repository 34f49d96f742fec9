"""The engine's state for one mall: retail orders and bookings as minutes from the run's now and
metres from the mall, with retail's speed and service times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from math import hypot
from typing import Any

import pytest

from flexfleet.blocks.model import Booking
from flexfleet.dispatch.config import LATE_GRACE, LATE_LIMIT
from flexfleet.dispatch.engine import decide
from flexfleet.dispatch.mall_state import (
    METRES_PER_MINUTE,
    SERVICE,
    STORE,
    OnDuty,
    drivers,
    one_booking_each,
    open_orders,
)
from flexfleet.dispatch.state import Decision, Unassigned
from flexfleet.dispatch.travel import StraightLine
from flexfleet.geo import Point, distance_km, metres_east_north
from flexfleet.retail.model import Order
from flexfleet.tiers import Tier

NOW = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
MALL = Point(lat=36.1274, lng=-115.1712)


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


def order(order_id: str = "o-1", **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": "c-1",
        "dropoff": {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
        "ready_at": minutes(10),
        "deliver_by": minutes(120),
        "packages": {"count": 1, "size": "small"},
        "retailer_id": "store-7",
        "store_name": "Shoe Palace",
        "mall_id": "vegas",
        "status": "placed",
        "placed_at": minutes(-4),
        "status_changed_at": minutes(-4),
    }
    return Order.model_validate(fields | changes)


def booking(driver_id: str = "d-1", **changes: Any) -> Booking:
    fields: dict[str, Any] = {
        "block_id": "b-1",
        "driver_id": driver_id,
        "mall_id": "vegas",
        "shift_type": "retail",
        "start": minutes(-60),
        "end": minutes(180),
        "time_zone": "America/Los_Angeles",
        "status": "checked_in",
        "hourly_rate": Decimal("19.50"),
        "base_rate": Decimal("19.50"),
        "accepted_at": minutes(-600),
        "reserved": False,
    }
    return Booking.model_validate(fields | changes)


@pytest.mark.parametrize(
    ("lat", "lng"), [(36.2, -115.0), (36.3, -115.0), (36.0, -115.3), (36.1274, -114.95)]
)
def test_the_projection_keeps_city_distances_within_a_tenth_of_a_percent(
    lat: float, lng: float
) -> None:
    east, north = metres_east_north(MALL, Point(lat=lat, lng=lng))

    great_circle = distance_km(MALL, Point(lat=lat, lng=lng)) * 1000
    assert hypot(east, north) == pytest.approx(great_circle, rel=1e-3)


def test_the_projection_puts_north_and_east_on_their_axes() -> None:
    east, north = metres_east_north(MALL, Point(lat=MALL.lat + 0.01, lng=MALL.lng))
    assert north == pytest.approx(1112, abs=1) and east == 0
    east, north = metres_east_north(MALL, Point(lat=MALL.lat, lng=MALL.lng + 0.01))
    assert east == pytest.approx(899, abs=1) and north == 0


def test_retail_travels_500_metres_a_minute_picks_up_after_ready_and_hands_over_at_the_door() -> (
    None
):
    assert METRES_PER_MINUTE == 500
    assert (SERVICE.pickup_before, SERVICE.pickup_after) == (0, 5)
    assert (SERVICE.dropoff_before, SERVICE.dropoff_after) == (3, 0)


def test_an_order_is_stated_in_minutes_from_now_at_its_store_in_the_mall() -> None:
    (stated,) = open_orders(MALL, [order()], NOW)

    assert (stated.placed, stated.ready, stated.deadline) == (-4, 10, 120)
    assert stated.store == STORE and stated.store_id == "store-7"
    east, north = metres_east_north(MALL, Point(lat=36.16, lng=-115.15))
    assert (stated.dropoff.x, stated.dropoff.y) == (east, north)


def test_a_free_driver_waits_at_the_mall_until_their_block_ends_ranked_by_tier() -> None:
    duties = [
        OnDuty(booking("fan"), Tier.FANTASTIC),
        OnDuty(booking("risk"), Tier.AT_RISK),
        OnDuty(booking("early", start=minutes(15)), Tier.GREAT),
    ]

    fan, risk, early = drivers(MALL, duties, NOW)

    assert (fan.place, fan.free_from, fan.off, fan.tier, fan.queues) == (STORE, 0, 180, 0, True)
    assert risk.tier == 3
    assert (early.free_from, early.tier) == (15, 1)  # checked in before the block starts


def test_a_driver_holding_a_trip_is_free_where_and_when_it_ends_and_takes_no_other() -> None:
    busy = booking(
        current_order_ids=frozenset({"o-1", "o-2"}),
        busy_until=minutes(25),
        last_dropoff=Point(lat=36.16, lng=-115.15),
    )

    (held,) = drivers(MALL, [OnDuty(busy, Tier.FANTASTIC)], NOW)

    assert (held.free_from, held.queues) == (25, False)
    assert (held.place.x, held.place.y) == metres_east_north(MALL, Point(lat=36.16, lng=-115.15))


def test_a_driver_late_on_a_trip_is_planned_free_a_grace_from_now_never_now() -> None:
    late = booking(current_order_ids=frozenset({"o-3"}), busy_until=minutes(-5))
    nearly = booking("d-2", current_order_ids=frozenset({"o-4"}), busy_until=minutes(0.5))
    unplanned = booking("d-3", current_order_ids=frozenset({"o-5"}))  # held before busyUntil

    stated = drivers(MALL, [OnDuty(b, Tier.FAIR) for b in (late, nearly, unplanned)], NOW)

    grace = LATE_GRACE / timedelta(minutes=1)
    assert [(d.free_from, d.queues) for d in stated] == [(grace, False)] * 3


def test_a_driver_long_overdue_on_a_trip_is_not_planned_for_so_their_orders_get_a_reason() -> None:
    overdue = booking(current_order_ids=frozenset({"o-3"}), busy_until=NOW - LATE_LIMIT * 1.1)
    late = booking("d-2", current_order_ids=frozenset({"o-4"}), busy_until=NOW - LATE_LIMIT / 2)
    stated = drivers(MALL, [OnDuty(b, Tier.FANTASTIC) for b in (overdue, late)], NOW)
    assert [d.driver_id for d in stated] == ["d-2"]
    roomy = order("o-1", ready_at=minutes(0), deliver_by=minutes(120))
    decision = decide(
        open_orders(MALL, [roomy], NOW),
        drivers(MALL, [OnDuty(overdue, Tier.FANTASTIC)], NOW),
        0.0,
        SERVICE,
        StraightLine(METRES_PER_MINUTE),
    )
    assert decision.held == [] and [u.reason for u in decision.unassigned] == ["no_driver_in_reach"]


def test_the_engine_commits_no_trip_to_a_late_driver_and_says_why_the_order_waits() -> None:
    """The booking refuses a second trip until the first ends; a trip committed to a driver
    still on one would fail its write at every run, and the order would never get a reason."""
    late = booking(current_order_ids=frozenset({"o-3"}), busy_until=minutes(-5))
    roomy = order("o-1", ready_at=minutes(0), deliver_by=minutes(120))
    # A drop-off at the mall: only a driver free now could pick it up in time.
    tight = order(
        "o-2",
        ready_at=minutes(0),
        deliver_by=minutes(9),
        dropoff={"lat": MALL.lat, "lng": MALL.lng, "address": "the mall"},
    )

    def decision(waiting: Order) -> Decision:
        return decide(
            open_orders(MALL, [waiting], NOW),
            drivers(MALL, [OnDuty(late, Tier.FANTASTIC)], NOW),
            0.0,
            SERVICE,
            StraightLine(METRES_PER_MINUTE),
        )

    kept, refused = decision(roomy), decision(tight)

    assert kept.assignments == refused.assignments == []
    assert kept.held == ["o-1"]  # the driver is planned free soon
    assert refused.unassigned == [
        Unassigned("o-2", "drivers_busy", LATE_GRACE / timedelta(minutes=1))
    ]


def test_a_driver_freed_after_a_trip_waits_at_its_last_door() -> None:
    freed = booking(busy_until=minutes(-5), last_dropoff=Point(lat=36.16, lng=-115.15))

    (driver,) = drivers(MALL, [OnDuty(freed, Tier.FANTASTIC)], NOW)

    assert driver.queues and driver.free_from == 0 and driver.place != STORE


def test_back_to_back_bookings_make_one_driver_the_one_holding_work_first() -> None:
    ending = booking(block_id="b-1", end=minutes(5))
    next_one = booking(block_id="b-2", start=minutes(5), end=minutes(125))
    working = booking(block_id="b-2", start=minutes(5), current_order_ids=frozenset({"o-9"}))

    idle = one_booking_each([OnDuty(next_one, Tier.FAIR), OnDuty(ending, Tier.FAIR)])
    busy = one_booking_each([OnDuty(ending, Tier.FAIR), OnDuty(working, Tier.FAIR)])

    assert idle["d-1"].booking.block_id == "b-1"  # the block that started first
    assert busy["d-1"].booking.block_id == "b-2"

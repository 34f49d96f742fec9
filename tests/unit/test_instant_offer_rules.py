"""The pure cores of instant offers: pay, the grid cells, the candidates' order and the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from math import cos, radians, sin

from hypothesis import given
from hypothesis import strategies as st

from flexfleet.geo import Point, distance_km
from flexfleet.instant_offers import config
from flexfleet.instant_offers.candidates import (
    Candidate,
    arrival,
    cell_of,
    cells_around,
    in_reach,
    ranked,
)
from flexfleet.instant_offers.model import offer_id, offer_key, window_end
from flexfleet.instant_offers.pay import estimated_minutes, hourly_rate, pay
from flexfleet.tiers import Tier

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MALL = Point(lat=36.1274, lng=-115.1712)  # Fashion Show, Las Vegas


# ------------------------------------------------------------------ pay


def test_the_rate_starts_at_retails_and_rises_a_dollar_for_each_refusal_up_to_25() -> None:
    rates = [hourly_rate(n) for n in range(0, 9)]

    assert rates[:4] == [Decimal("19.50"), Decimal("20.50"), Decimal("21.50"), Decimal("22.50")]
    assert rates[-1] == Decimal("25.00")


@given(st.integers(-5, 1000))
def test_every_rate_is_between_18_and_25_dollars_an_hour(refusals: int) -> None:
    assert Decimal("18.00") <= hourly_rate(refusals) <= Decimal("25.00")


def test_pay_is_the_rate_over_the_estimated_minutes_to_the_cent() -> None:
    assert pay(Decimal("19.50"), 30) == Decimal("9.75")
    assert pay(Decimal("19.50"), 31) == Decimal("10.08")  # 10.075 rounds half up
    assert pay(Decimal("25.00"), 1) == Decimal("0.42")


def test_the_estimate_is_the_drive_to_the_mall_then_pickup_the_trip_and_the_handover() -> None:
    # 3 km to the mall and 3 km to the door at 30 km/h: 6 + 6 minutes, plus 5 to pick up and 3 to
    # hand over.
    three_km_north = Point(lat=MALL.lat + 3 / 111.195, lng=MALL.lng)
    three_km_south = Point(lat=MALL.lat - 3 / 111.195, lng=MALL.lng)

    minutes = estimated_minutes(three_km_north, MALL, three_km_south)

    assert minutes == 20


def test_a_driver_at_the_mall_is_paid_for_the_store_to_door_trip_alone() -> None:
    assert estimated_minutes(MALL, MALL, MALL) == 8  # pickup and handover


# ------------------------------------------------------------------ cells

POINTS = st.builds(
    Point,
    lat=st.floats(-60, 60, allow_nan=False),
    lng=st.floats(-170, 170, allow_nan=False),
)


@given(POINTS, st.floats(0, 1), st.floats(0, 360))
def test_every_point_within_the_radius_lies_in_one_of_the_cells_queried(
    centre: Point, fraction: float, bearing: float
) -> None:
    # A point at a random distance and bearing inside the radius.
    reach = config.OFFER_RADIUS_KM * fraction * 0.999
    dlat = reach * cos(radians(bearing)) / 111.195
    dlng = reach * sin(radians(bearing)) / (111.195 * cos(radians(centre.lat)))
    point = Point(lat=centre.lat + dlat, lng=centre.lng + dlng)

    assert cell_of(point) in cells_around(centre, config.OFFER_RADIUS_KM)


def test_a_mall_queries_its_own_cell_and_at_most_its_eight_neighbours() -> None:
    cells = cells_around(MALL, config.OFFER_RADIUS_KM)

    assert cell_of(MALL) in cells
    assert 1 <= len(cells) <= 9
    assert cell_of(MALL) == "361:-1152"


# ------------------------------------------------------------------ candidates


def candidate(driver: str, tier: Tier, km: float, late: bool = False) -> Candidate:
    arrives = NOW + timedelta(hours=3 if late else 1)
    return Candidate(driver_id=driver, tier=int(tier), distance_km=km, arrives_at=arrives)


def test_better_tiers_come_first_then_the_nearest_then_by_id() -> None:
    drivers = [
        candidate("d-fair-near", Tier.FAIR, 0.5),
        candidate("d-risk", Tier.AT_RISK, 0.1),
        candidate("d-great-far", Tier.GREAT, 7.0),
        candidate("d-fan", Tier.FANTASTIC, 6.0),
        candidate("d-great-b", Tier.GREAT, 2.0),
        candidate("d-great-a", Tier.GREAT, 2.0),
    ]

    order = [c.driver_id for c in ranked(drivers)]

    assert order == ["d-fan", "d-great-a", "d-great-b", "d-great-far", "d-fair-near", "d-risk"]


@given(st.permutations(list(Tier)))
def test_the_ranking_never_puts_a_worse_tier_before_a_better_one(tiers: list[Tier]) -> None:
    drivers = [candidate(f"d-{i}", tier, float(i)) for i, tier in enumerate(tiers)]

    ranks = [c.tier for c in ranked(drivers)]

    assert ranks == sorted(ranks, reverse=True)


def test_a_driver_is_in_reach_inside_the_radius_and_in_time_for_the_deadline() -> None:
    deadline = NOW + timedelta(hours=2)

    assert in_reach(candidate("near", Tier.GREAT, 1.0), deadline)
    assert not in_reach(candidate("far", Tier.GREAT, config.OFFER_RADIUS_KM + 0.1), deadline)
    assert not in_reach(candidate("late", Tier.GREAT, 1.0, late=True), deadline)


def test_arrival_waits_at_the_mall_for_an_order_not_ready_yet() -> None:
    trip = timedelta(minutes=20)

    early = arrival(NOW, NOW + timedelta(minutes=30), timedelta(minutes=5), trip)
    ready = arrival(NOW, NOW - timedelta(minutes=1), timedelta(minutes=5), trip)

    assert early == NOW + timedelta(minutes=50)
    assert ready == NOW + timedelta(minutes=25)


def test_the_distance_used_for_reach_is_the_great_circle_one() -> None:
    point = Point(lat=MALL.lat + 0.05, lng=MALL.lng)

    assert 5.5 < distance_km(point, MALL) < 5.6


# ------------------------------------------------------------------ the offer


def test_an_offer_expires_a_configured_window_after_it_is_made() -> None:
    assert window_end(NOW) == NOW + config.OFFER_WINDOW
    assert timedelta(seconds=60) <= config.OFFER_WINDOW <= timedelta(seconds=120)


def test_an_offers_id_names_its_order_and_round_even_when_the_order_id_holds_colons() -> None:
    assert offer_id("ord-1", 2) == "ord-1:2"
    assert offer_key("store:42:order-7:3") == ("store:42:order-7", 3)

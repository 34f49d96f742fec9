"""Retail shipping on moto: the catalogue, blocks released by standing, orders and dispatch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from flexfleet.blocks.model import BlockRequest, CheckIn, Preferences
from flexfleet.deliveries.model import DeliveryReport
from flexfleet.errors import (
    BadRequest,
    BlockFull,
    Conflict,
    Deactivated,
    IllegalTransition,
    NotFound,
    Overlap,
    OwnRecord,
    RetailerNotOnboarded,
    Unprocessable,
)
from flexfleet.geo import Point
from flexfleet.identity import Caller
from flexfleet.malls.model import RetailerDetails
from flexfleet.ratings.model import RatingSubmission
from flexfleet.retail.model import DeliveryOutcome, OrderRequest
from flexfleet.standing.review import ReviewDecisionRequest
from flexfleet.tiers import Tier
from tests.factories import delivery_report
from tests.integration.conftest import World

OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))
RETAILER = Caller(sub="store-7", groups=frozenset({"retailer"}))
CUSTOMER = Caller(sub="cust-1", groups=frozenset({"customer"}))
MALL = "fashion-show-las-vegas"
MALL_AT = {"lat": 36.1274, "lng": -115.1712}
NEAR_MALL = {"lat": 36.1300, "lng": -115.1700}
NEAR_MALL_POINT = Point(lat=36.1300, lng=-115.1700)


def driver(sub: str) -> Caller:
    return Caller(sub=sub, groups=frozenset({"driver"}))


def stand(world: World, driver_id: str, tier: Tier) -> None:
    """A standing item as the standing stream writes it: each component at the tier."""
    level = {"N": str(int(tier))}
    world.client.put_item(
        TableName=world.standings.table_name,
        Item={
            "driverId": {"S": driver_id},
            "ratingTier": level,
            "onTimeTier": level,
            "completionTier": level,
        },
    )


def fantastic(world: World, *drivers: str) -> None:
    """Fantastic drivers who want blocks at the mall."""
    for name in drivers:
        stand(world, name, Tier.FANTASTIC)
        prefer(world, name)


def setup_mall(world: World) -> None:
    world.catalogue.seed_pilots()
    world.catalogue.onboard(OPS, RETAILER.sub, RetailerDetails(name="Shoe Palace", mall_id=MALL))


def publish(world: World, block_id: str = "b-1", **overrides: Any) -> Any:
    body: dict[str, Any] = {
        "blockId": block_id,
        "mallId": MALL,
        "shiftType": "retail",
        "start": (world.now + timedelta(hours=10)).isoformat(),
        "end": (world.now + timedelta(hours=14)).isoformat(),
        "capacity": 10,
    } | overrides
    return world.blocks.publish(OPS, BlockRequest.model_validate(body))


def prefer(world: World, driver_id: str, *malls: str) -> None:
    world.blocks.set_preferences(
        driver(driver_id), driver_id, Preferences(mall_ids=list(malls or (MALL,)))
    )


def order_body(world: World, order_id: str = "o-1", **overrides: Any) -> OrderRequest:
    body: dict[str, Any] = {
        "orderId": order_id,
        "customerId": CUSTOMER.sub,
        "dropoff": {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
        "readyAt": world.now.isoformat(),
        "deliverBy": (world.now + timedelta(hours=2)).isoformat(),
        "packages": {"count": 2, "size": "small"},
        "tip": "4.50",
    } | overrides
    return OrderRequest.model_validate(body)


def test_the_pilot_malls_are_seeded_once_and_a_changed_one_is_left_alone(world: World) -> None:
    assert len(world.catalogue.seed_pilots()) == 4
    malls = {m.mall_id: m for m in world.catalogue.malls(CUSTOMER)}
    assert malls["chandler-fashion-center"].time_zone == "America/Phoenix"
    changed = malls[MALL].model_copy(update={"service_radius_km": 5.0})
    world.malls.put(changed)

    assert world.catalogue.seed_pilots() == []
    assert world.catalogue.mall(MALL).service_radius_km == 5.0  # type: ignore[union-attr]


def test_the_catalogue_is_one_query_of_its_index_never_a_scan(world: World) -> None:
    world.catalogue.seed_pilots()
    world.requests.reset()

    malls = world.catalogue.malls(CUSTOMER)

    assert [m.mall_id for m in malls] == sorted(m.mall_id for m in malls) and len(malls) == 4
    assert dict(world.requests.counts) == {"Query": 1}


def test_a_block_shows_pay_up_front_and_releases_best_tier_first(world: World) -> None:
    setup_mall(world)
    block, created = publish(world)

    assert created
    assert block.hourly_rate == Decimal("19.50")
    assert block.pay == Decimal("78.00")
    assert block.releases["Fantastic"] == world.now
    assert block.releases["Great"] < block.releases["Fair"] < block.releases["At Risk"]
    assert block.local_start.endswith("-08:00")  # Las Vegas in November: PST


def test_publishing_the_same_block_again_is_a_no_op_and_another_body_a_conflict(
    world: World,
) -> None:
    setup_mall(world)
    first, _ = publish(world)
    again, created = publish(world)
    assert not created and again == first
    with pytest.raises(Conflict):
        publish(world, capacity=3)


def test_a_fair_driver_sees_a_block_only_once_the_clock_passes_the_fair_release(
    world: World,
) -> None:
    setup_mall(world)
    stand(world, "fan", Tier.FANTASTIC)
    stand(world, "fair", Tier.FAIR)
    prefer(world, "fan")
    prefer(world, "fair")
    publish(world)

    assert [o.block.block_id for o in world.blocks.offers(driver("fan"), "fan").offers] == ["b-1"]
    assert world.blocks.offers(driver("fair"), "fair").offers == []
    with pytest.raises(NotFound):
        world.blocks.accept(driver("fair"), "b-1")

    world.now += timedelta(hours=6)
    assert [o.block.block_id for o in world.blocks.offers(driver("fair"), "fair").offers] == ["b-1"]


def test_at_risk_never_sees_a_premium_block_but_sees_a_standard_one(world: World) -> None:
    setup_mall(world)
    stand(world, "risk", Tier.AT_RISK)
    prefer(world, "risk")
    publish(world, "premium", shiftType="holiday")
    publish(world, "plain", shiftType="standard")
    world.now += timedelta(hours=8)  # past every release, still 2 h before the start

    offered = [o.block.block_id for o in world.blocks.offers(driver("risk"), "risk").offers]
    assert offered == ["plain"]


def test_blocks_are_offered_only_at_preferred_malls_and_never_to_a_deactivated_driver(
    world: World,
) -> None:
    setup_mall(world)
    stand(world, "fan", Tier.FANTASTIC)
    publish(world)
    assert world.blocks.offers(driver("fan"), "fan").offers == []
    prefer(world, "fan", "chandler-fashion-center")
    assert world.blocks.offers(driver("fan"), "fan").offers == []
    prefer(world, "fan")
    assert len(world.blocks.offers(driver("fan"), "fan").offers) == 1

    world.standing.decide(OPS, "fan", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    assert world.blocks.offers(driver("fan"), "fan").offers == []
    with pytest.raises(NotFound):
        world.blocks.accept(driver("fan"), "b-1")


def test_a_reserved_offer_goes_to_a_fantastic_driver_who_prefers_the_mall_and_returns_to_the_pool(
    world: World,
) -> None:
    setup_mall(world)
    for name, tier in (("fan", Tier.FANTASTIC), ("great", Tier.GREAT)):
        stand(world, name, tier)
        prefer(world, name)
    block, _ = publish(world, capacity=5)  # a fifth: one place reserved

    assert block.available == 4
    offers = world.blocks.offers(driver("fan"), "fan").offers
    assert [(o.block.block_id, o.reserved) for o in offers] == [("b-1", True)]
    assert world.blocks.offers(driver("great"), "great").offers == []

    world.now += timedelta(minutes=31)
    assert world.block_jobs.expire_offers() == 1
    assert world.block_jobs.expire_offers() == 0
    stored = world.block_repository.block("b-1")
    assert stored is not None and stored.reserved_pending == 0
    assert [
        (o.block.block_id, o.reserved) for o in world.blocks.offers(driver("fan"), "fan").offers
    ] == [("b-1", False)]


def test_a_driver_cannot_hold_two_blocks_that_overlap(world: World) -> None:
    setup_mall(world)
    fantastic(world, "fan")
    publish(world, "b-1")
    publish(
        world,
        "b-2",
        start=(world.now + timedelta(hours=12)).isoformat(),
        end=(world.now + timedelta(hours=15)).isoformat(),
    )
    _, created = world.blocks.accept(driver("fan"), "b-1")
    again, created_again = world.blocks.accept(driver("fan"), "b-1")

    assert created and not created_again and again.status == "held"
    with pytest.raises(Overlap):
        world.blocks.accept(driver("fan"), "b-2")


def test_a_full_block_refuses_the_next_driver(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a", "b")
    publish(world, capacity=1)
    world.blocks.accept(driver("a"), "b-1")
    with pytest.raises(BlockFull):
        world.blocks.accept(driver("b"), "b-1")


def test_a_late_forfeit_is_marked_and_frees_the_place(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a", "b")
    publish(world, capacity=1)
    world.blocks.accept(driver("a"), "b-1")
    world.now += timedelta(hours=9, minutes=30)  # 30 minutes before the start

    forfeited = world.blocks.forfeit(driver("a"), "b-1")
    assert forfeited.status == "forfeited" and forfeited.late_forfeit is True
    assert world.blocks.forfeit(driver("a"), "b-1").status == "forfeited"
    booking, _ = world.blocks.accept(driver("b"), "b-1")
    assert booking.status == "held"


def test_a_booking_not_checked_in_becomes_a_no_show_once(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    world.now += timedelta(hours=10, minutes=16)

    assert world.block_jobs.no_shows() == 1
    assert world.block_jobs.no_shows() == 0
    with pytest.raises(IllegalTransition):
        world.blocks.check_in(driver("a"), "b-1", CheckIn.model_validate(MALL_AT))


def test_check_in_needs_the_mall_and_the_time(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    with pytest.raises(Unprocessable):
        world.blocks.check_in(driver("a"), "b-1", CheckIn.model_validate(MALL_AT))
    world.now += timedelta(hours=9, minutes=45)
    with pytest.raises(Unprocessable):
        world.blocks.check_in(driver("a"), "b-1", CheckIn(lat=36.2, lng=-115.3))
    assert world.blocks.check_in(driver("a"), "b-1", CheckIn.model_validate(NEAR_MALL)).status == (
        "checked_in"
    )


def test_surge_rises_in_steps_for_an_unfilled_block_and_a_booking_keeps_its_rate(
    world: World,
) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world, capacity=2)
    world.now += timedelta(hours=7, minutes=30)  # 2.5 h before the start
    assert world.block_jobs.surge() == 1
    assert world.block_jobs.surge() == 0
    booking, _ = world.blocks.accept(driver("a"), "b-1")
    assert booking.hourly_rate == Decimal("20.50")
    world.now += timedelta(hours=1)
    assert world.block_jobs.surge() == 1
    offered = world.blocks.offers(driver("b"), "b").offers
    assert offered == []  # b prefers no mall
    stored = world.block_repository.block("b-1")
    assert stored is not None and stored.surge == Decimal("2.00")


def test_an_unonboarded_retailer_cannot_place_orders(world: World) -> None:
    world.catalogue.seed_pilots()
    with pytest.raises(RetailerNotOnboarded):
        world.orders.place(RETAILER, order_body(world))


def test_an_order_outside_the_service_radius_or_in_the_past_is_refused(world: World) -> None:
    setup_mall(world)
    far = {"lat": 36.5, "lng": -115.1, "address": "Far away"}
    with pytest.raises(Unprocessable) as outside:
        world.orders.place(RETAILER, order_body(world, dropoff=far))
    assert outside.value.field == "dropoff"
    with pytest.raises(Unprocessable) as past:
        world.orders.place(
            RETAILER, order_body(world, readyAt=(world.now - timedelta(hours=1)).isoformat())
        )
    assert past.value.field == "readyAt"


def test_an_order_due_more_than_a_day_after_it_is_ready_is_refused(world: World) -> None:
    setup_mall(world)
    late = (world.now + timedelta(days=1, minutes=1)).isoformat()
    with pytest.raises(Unprocessable) as refused:
        world.orders.place(RETAILER, order_body(world, deliverBy=late))
    assert refused.value.field == "deliverBy"


def test_ops_list_one_malls_orders_and_a_retailer_only_its_own(world: World) -> None:
    setup_mall(world)
    world.orders.place(RETAILER, order_body(world, "o-1"))
    world.orders.place(RETAILER, order_body(world, "o-2"))
    other = Caller(sub="store-8", groups=frozenset({"retailer"}))
    world.catalogue.onboard(OPS, other.sub, RetailerDetails(name="Hats", mall_id=MALL))
    world.orders.place(other, order_body(world, "o-3"))

    with pytest.raises(Unprocessable):
        world.orders.page(OPS, None, None, 10, None)
    every = world.orders.page(OPS, None, MALL, 10, None).orders
    own = world.orders.page(RETAILER, None, None, 10, None).orders
    first = world.orders.page(RETAILER, "placed", None, 1, None)
    rest = world.orders.page(RETAILER, "placed", None, 1, first.cursor)

    assert {o.order_id for o in every} == {"o-1", "o-2", "o-3"}
    assert {o.order_id for o in own} == {"o-1", "o-2"}
    assert {first.orders[0].order_id, rest.orders[0].order_id} == {"o-1", "o-2"}
    with pytest.raises(BadRequest):
        world.orders.page(other, None, None, 1, first.cursor)


def test_the_retail_walk_from_block_to_rating_to_earnings(world: World) -> None:
    setup_mall(world)
    fantastic(world, "fan")
    publish(world)
    world.blocks.accept(driver("fan"), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    world.blocks.check_in(driver("fan"), "b-1", CheckIn.model_validate(NEAR_MALL))
    world.now += timedelta(minutes=10)  # the block starts

    order, created = world.orders.place(RETAILER, order_body(world))
    assert created and order.status == "placed" and order.mall_id == MALL
    assert world.orders.place(RETAILER, order_body(world)) == (order, False)
    with pytest.raises(Conflict):
        world.orders.place(RETAILER, order_body(world, tip="1.00"))

    outcome = world.dispatch.run_all()
    assert outcome.assigned == 1
    assert world.dispatch.run_all().assigned == 0
    seen = world.orders.get(driver("fan"), "o-1")
    assert seen.status == "assigned" and not hasattr(seen, "customer_id")
    assert [o.order_id for o in world.orders.assignments(driver("fan"), "fan").orders] == ["o-1"]
    customer_view = world.orders.get(CUSTOMER, "o-1")
    assert customer_view.status == "assigned" and customer_view.eta is not None  # type: ignore[union-attr]

    world.orders.pickup(driver("fan"), "o-1", NEAR_MALL_POINT)
    with pytest.raises(IllegalTransition):
        world.orders.cancel(RETAILER, "o-1")
    world.now += timedelta(minutes=20)
    world.orders.deliver(driver("fan"), "o-1", DeliveryOutcome(outcome="delivered"))
    with pytest.raises(IllegalTransition):
        world.orders.deliver(driver("fan"), "o-1", DeliveryOutcome(outcome="delivered"))

    delivery = world.deliveries_repository.get("o-1")
    assert delivery is not None and delivery.source == "retail" and delivery.driver_id == "fan"
    rating = world.ratings.submit(CUSTOMER, "o-1", RatingSubmission.model_validate({"stars": 5}))
    assert rating.driver_id == "fan"

    world.now += timedelta(hours=4)
    earnings = world.blocks.earnings(driver("fan"), "fan", world.now - timedelta(days=1), world.now)
    assert earnings.blocks_worked == 1
    assert earnings.base_pay == Decimal("78.00")
    assert earnings.tips == Decimal("4.50")
    assert earnings.total == Decimal("82.50")


def test_a_late_forfeit_and_a_no_show_count_against_reliability_in_standing(
    world: World,
) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world, "b-1")
    publish(
        world,
        "b-2",
        start=(world.now + timedelta(hours=20)).isoformat(),
        end=(world.now + timedelta(hours=23)).isoformat(),
    )
    world.blocks.accept(driver("a"), "b-1")
    world.blocks.accept(driver("a"), "b-2")
    world.now += timedelta(hours=9, minutes=30)
    world.blocks.forfeit(driver("a"), "b-1")  # 30 minutes before the start: late
    world.now += timedelta(hours=11)
    world.block_jobs.no_shows()

    world.projector.bookings_changed("a")
    standing = world.standing.of_driver(driver("a"), "a")

    reliability = standing.components["reliability"]
    assert (standing.coaching.counts.late_forfeits, standing.coaching.counts.no_shows) == (1, 1)
    assert reliability.value == Decimal("0.8166")  # (0 + 10 × 0.98) / (2 + 10), cut to 4 places
    assert reliability.tier == "Fair"
    assert standing.tier == "Fair"


def test_a_forfeit_with_notice_costs_nothing(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    world.blocks.forfeit(driver("a"), "b-1")

    world.projector.bookings_changed("a")
    standing = world.standing.of_driver(driver("a"), "a")
    assert standing.coaching.counts.late_forfeits == 0
    assert standing.components["reliability"].value == Decimal("0.98")


def test_a_review_decision_is_recorded_once_with_who_and_why_and_ends_the_review(
    world: World,
) -> None:
    stand(world, "d-9", Tier.AT_RISK)
    keep = ReviewDecisionRequest(decision="keep", note="weather week")

    decision, created = world.standing.decide(OPS, "d-9", keep)
    again, created_again = world.standing.decide(OPS, "d-9", keep)
    standing = world.standing.of_driver(OPS, "d-9")

    assert created and not created_again and again == decision
    assert (decision.decided_by, decision.decided_at) == (OPS.sub, world.now)
    assert standing.review.decision == decision
    assert standing.review.account_status == "active"
    stored = world.standings.get("d-9") or {}
    assert len(stored["reviewHistory"]) == 1


def test_only_a_decision_deactivates_and_only_a_decision_reinstates(world: World) -> None:
    stand(world, "d-9", Tier.AT_RISK)
    with pytest.raises(IllegalTransition):
        world.standing.decide(OPS, "d-9", ReviewDecisionRequest(decision="reinstate", note="x"))
    world.standing.decide(OPS, "d-9", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    assert world.standing.of_driver(OPS, "d-9").review.account_status == "deactivated"
    with pytest.raises(IllegalTransition):
        world.standing.decide(OPS, "d-9", ReviewDecisionRequest(decision="deactivate", note="y"))
    world.standing.decide(OPS, "d-9", ReviewDecisionRequest(decision="reinstate", note="appeal"))

    standing = world.standing.of_driver(driver("d-9"), "d-9")
    assert standing.review.account_status == "active"
    assert standing.review.decision is not None and standing.review.decision.note == "appeal"


def test_nobody_decides_an_unknown_driver_or_their_own_review(world: World) -> None:
    with pytest.raises(NotFound):
        world.standing.decide(OPS, "nobody", ReviewDecisionRequest(decision="keep", note="x"))
    stand(world, OPS.sub, Tier.AT_RISK)
    with pytest.raises(OwnRecord):
        world.standing.decide(OPS, OPS.sub, ReviewDecisionRequest(decision="keep", note="x"))


def check_in_at_start(world: World, driver_id: str, block_id: str = "b-1") -> None:
    world.blocks.check_in(driver(driver_id), block_id, CheckIn.model_validate(NEAR_MALL))


def test_a_deactivated_driver_cannot_check_in_and_is_never_dispatched(world: World) -> None:
    setup_mall(world)
    fantastic(world, "bad", "good")
    publish(world)
    world.blocks.accept(driver("bad"), "b-1")
    world.blocks.accept(driver("good"), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    check_in_at_start(world, "bad")
    world.standing.decide(OPS, "bad", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    world.standing.decide(OPS, "good", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    with pytest.raises(Deactivated):
        check_in_at_start(world, "good")
    world.standing.decide(OPS, "good", ReviewDecisionRequest(decision="reinstate", note="cleared"))
    world.now += timedelta(minutes=10)
    world.orders.place(RETAILER, order_body(world))

    assert world.dispatch.run_all().assigned == 0  # only "bad" is on duty
    check_in_at_start(world, "good")
    world.dispatch.run_all()
    assert world.orders.get(OPS, "o-1").driver_id == "good"  # type: ignore[union-attr]


def test_a_block_counts_as_kept_once_checked_in(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    check_in_at_start(world, "a")

    world.projector.bookings_changed("a")
    assert world.standing.of_driver(driver("a"), "a").coaching.counts.blocks_kept == 1


def test_an_order_may_not_take_the_id_of_a_delivery_already_recorded(world: World) -> None:
    setup_mall(world)
    world.deliveries.record(OPS, DeliveryReport.model_validate(delivery_report("o-1")))
    with pytest.raises(Conflict) as taken:
        world.orders.place(RETAILER, order_body(world, "o-1"))
    assert taken.value.field == "orderId"


def test_the_next_order_goes_to_the_driver_waiting_at_the_mall_not_the_one_at_a_door(
    world: World,
) -> None:
    """Dispatch no longer favours the driver free the longest: a driver who has just delivered
    waits at that door, 3.6 km out, and the one at the mall is nearer the store."""
    setup_mall(world)
    fantastic(world, "a", "b")
    publish(world)
    for name in ("a", "b"):
        world.blocks.accept(driver(name), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    for name in ("a", "b"):
        check_in_at_start(world, name)
    world.now += timedelta(minutes=10)  # the block starts
    world.orders.place(RETAILER, order_body(world, "o-1"))
    world.dispatch.run_all()
    first = world.orders.get(OPS, "o-1").driver_id  # type: ignore[union-attr]
    assert first in ("a", "b")

    world.orders.pickup(driver(first), "o-1", NEAR_MALL_POINT)
    world.orders.deliver(driver(first), "o-1", DeliveryOutcome(outcome="delivered"))
    world.orders.place(RETAILER, order_body(world, "o-2"))
    world.dispatch.run_all()
    assert world.orders.get(OPS, "o-2").driver_id == ({"a", "b"} - {first}).pop()  # type: ignore[union-attr]


def test_preferences_set_at_a_version_another_change_moved_are_read_again(world: World) -> None:
    setup_mall(world)
    prefer(world, "a", MALL)
    real = world.block_repository._preferences
    stale = iter([([MALL], 0)])  # the first read misses a change made meanwhile

    def preferences(driver_id: str) -> tuple[list[str], int]:
        return next(stale, None) or real(driver_id)

    world.block_repository._preferences = preferences  # type: ignore[method-assign]
    world.blocks.set_preferences(
        driver("a"), "a", Preferences(mall_ids=["chandler-fashion-center"])
    )
    world.block_repository._preferences = real  # type: ignore[method-assign]

    assert world.block_repository.preferred_malls("a") == ["chandler-fashion-center"]
    assert world.block_repository.drivers_preferring(MALL) == []
    assert world.block_repository.drivers_preferring("chandler-fashion-center") == ["a"]


def test_a_deactivated_driver_barred_from_checking_in_is_no_no_show(world: World) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    world.standing.decide(OPS, "a", ReviewDecisionRequest(decision="deactivate", note="fraud"))
    world.now += timedelta(hours=10, minutes=16)

    assert world.block_jobs.no_shows() == 0
    world.projector.bookings_changed("a")
    assert world.standing.of_driver(OPS, "a").coaching.counts.no_shows == 0


def test_an_order_whose_id_a_delivery_took_after_pickup_still_ends_and_frees_its_driver(
    world: World,
) -> None:
    setup_mall(world)
    fantastic(world, "a")
    publish(world)
    world.blocks.accept(driver("a"), "b-1")
    world.now += timedelta(hours=9, minutes=50)
    check_in_at_start(world, "a")
    world.now += timedelta(minutes=10)
    world.orders.place(RETAILER, order_body(world, "o-1"))
    world.dispatch.run_all()
    world.orders.pickup(driver("a"), "o-1", NEAR_MALL_POINT)
    world.deliveries.record(OPS, DeliveryReport.model_validate(delivery_report("o-1")))

    ended = world.orders.deliver(driver("a"), "o-1", DeliveryOutcome(outcome="delivered"))
    world.orders.place(RETAILER, order_body(world, "o-2"))
    world.dispatch.run_all()

    assert ended.status == "delivered"
    stored = world.orders.get(OPS, "o-1")
    assert "not rateable" in (stored.note or "")  # type: ignore[union-attr]
    assert world.orders.get(OPS, "o-2").driver_id == "a"  # type: ignore[union-attr]


def test_a_reserved_offer_of_premium_work_is_not_shown_once_the_driver_is_at_risk(
    world: World,
) -> None:
    setup_mall(world)
    fantastic(world, "fan")
    publish(world, capacity=5)
    assert world.blocks.offers(driver("fan"), "fan").offers[0].reserved
    stand(world, "fan", Tier.AT_RISK)

    assert world.blocks.offers(driver("fan"), "fan").offers == []
    with pytest.raises(NotFound):
        world.blocks.accept(driver("fan"), "b-1")

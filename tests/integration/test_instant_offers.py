"""Instant offers on moto, with the tables template.yaml declares: better tiers first, decline and
expiry moving on, the atomic accept, withdrawal, and idempotent expiry and offer_out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from flexfleet.dispatch.engine import decide
from flexfleet.dispatch.service import DispatchService
from flexfleet.errors import (
    Deactivated,
    DriverBusy,
    NotFound,
    OfferClosed,
    OfferExpired,
    OrderTaken,
)
from flexfleet.geo import Point
from flexfleet.instant_offers import config
from flexfleet.instant_offers.model import AvailabilityRequest, InstantOffer
from flexfleet.instant_offers.repository import InstantOfferRepository, offer_item
from flexfleet.instant_offers.service import InstantOffers
from flexfleet.malls.model import Mall
from flexfleet.retail.model import DeliveryOutcome, Order
from flexfleet.standing.review import ReviewDecisionRequest, driver_standing
from flexfleet.tiers import Tier
from infra.local_runtime.stack import Stack
from tests.integration.conftest import World
from tests.integration.test_retail import (
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
    stand,
)

NEAR = {"lat": 36.1300, "lng": -115.1700}  # 0.3 km from the mall
TOWN = {"lat": 36.1700, "lng": -115.1400}  # 5.6 km away: nearby, further
FAR = {"lat": 36.3000, "lng": -115.1700}  # 19 km away: out of reach


class Offers:
    """The instant offers over the world's moto tables and clock."""

    def __init__(self, world: World, stack: Stack) -> None:
        self.world = world
        self.store = InstantOfferRepository(
            world.client,
            stack.table_name("AvailabilityTable"),
            stack.table_name("InstantOffersTable"),
            world.order_repository,
            stack.table_name("StandingTable"),
            stack.table_name("BookingsTable"),
        )
        self.service = InstantOffers(self.store, world.malls, driver_standing, lambda: world.now)

    def online(self, driver_id: str, tier: Tier | None, where: dict[str, float] = NEAR) -> None:
        if tier is not None:
            stand(self.world, driver_id, tier)
        request = AvailabilityRequest(online=True, lat=where["lat"], lng=where["lng"])
        self.service.set_availability(driver(driver_id), driver_id, request)

    def mall(self) -> Mall:
        mall = self.world.malls.get(MALL)
        assert mall is not None
        return mall

    def order(self, order_id: str = "o-1") -> Order:
        order = self.world.order_repository.get(order_id)
        assert order is not None
        return order

    def place(self, order_id: str = "o-1", **overrides: Any) -> Order:
        order, _ = self.world.orders.place(RETAILER, order_body(self.world, order_id, **overrides))
        return order

    def offer_out(self, order_id: str = "o-1") -> InstantOffer | None:
        return self.service.offer_out(self.mall(), self.order(order_id), self.world.now)

    def history(self, order_id: str = "o-1") -> list[tuple[str, str]]:
        return [(o.driver_id, o.status) for o in self.service.of_order(OPS, order_id).offers]

    def pending(self, driver_id: str) -> list[str]:
        return [o.offer_id for o in self.service.pending(driver(driver_id), driver_id).offers]


@pytest.fixture
def offers(world: World, aws: Stack) -> Offers:
    setup_mall(world)
    return Offers(world, aws)


def test_the_offer_goes_to_the_best_tier_first_with_its_pay_up_front(offers: Offers) -> None:
    offers.online("d-fair", Tier.FAIR)
    offers.online("d-great", Tier.GREAT, NEAR)
    offers.online("d-fan", Tier.FANTASTIC, TOWN)  # further away, but the better tier
    offers.online("d-risk", Tier.AT_RISK)
    offers.place()

    offer = offers.offer_out()

    assert offer is not None
    assert (offer.offer_id, offer.driver_id, offer.tier, offer.status) == (
        "o-1:1",
        "d-fan",
        "Fantastic",
        "pending",
    )
    assert offer.hourly_rate == Decimal("19.50")
    assert offer.pay == (Decimal("19.50") * offer.estimated_minutes / 60).quantize(Decimal("0.01"))
    assert offer.tip == Decimal("4.50")
    assert offer.expires_at == offers.world.now + config.OFFER_WINDOW
    assert offers.pending("d-fan") == ["o-1:1"]
    assert offers.pending("d-great") == []


def test_a_decline_moves_the_order_to_the_next_tier_at_once_and_raises_the_rate(
    offers: Offers,
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.online("d-fair", Tier.FAIR)
    offers.place()
    offers.offer_out()

    declined = offers.service.decline(driver("d-fan"), "o-1:1")
    again = offers.service.decline(driver("d-fan"), "o-1:1")  # a retry: no candidate skipped

    assert (declined.status, again.status) == ("declined", "declined")
    assert offers.history() == [("d-fan", "declined"), ("d-great", "pending")]
    (second,) = offers.service.pending(driver("d-great"), "d-great").offers
    assert second.hourly_rate == Decimal("20.50")
    assert offers.pending("d-fair") == []


def test_expiry_moves_the_order_to_the_next_tier_and_running_it_twice_changes_nothing(
    offers: Offers,
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.online("d-fair", Tier.FAIR)
    offers.place()
    offers.offer_out()
    offers.world.now += config.OFFER_WINDOW

    first = offers.service.settle()
    second = offers.service.settle()

    assert (first.expired, first.offered) == (1, 1)
    assert (second.expired, second.withdrawn, second.offered) == (0, 0, 0)
    assert offers.history() == [("d-fan", "expired"), ("d-great", "pending")]
    expired = offers.service.of_order(OPS, "o-1").offers[0]
    assert expired.ended_at == expired.expires_at
    with pytest.raises(OfferExpired):
        offers.service.accept(driver("d-fan"), "o-1:1")


def test_offer_out_every_minute_keeps_one_pending_offer_and_continues_after_its_window(
    offers: Offers,
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.place()

    made = [offers.offer_out() for _ in range(3)]
    offers.world.now += timedelta(minutes=1)
    still = offers.offer_out()  # 60 s in: the 90 s window is still open
    offers.world.now += timedelta(minutes=1)
    moved_on = offers.offer_out()

    assert {o.offer_id for o in made if o} == {"o-1:1"}
    assert still is not None and still.offer_id == "o-1:1"
    assert moved_on is not None and (moved_on.offer_id, moved_on.driver_id) == ("o-1:2", "d-great")
    assert offers.history() == [("d-fan", "expired"), ("d-great", "pending")]


def test_two_drivers_racing_for_one_order_give_exactly_one_assignment(
    offers: Offers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race at its worst: d-fan has read the order as placed when d-great's accept commits.
    (moto in-process does not serialise threads; the race over HTTP is the e2e tests'.)"""
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    order = offers.place()
    first = offers.offer_out()
    assert first is not None
    # A second offer of the same order, as a stale or concurrent run could leave one.
    rival = first.model_copy(update={"offer_id": "o-1:2", "round": 2, "driver_id": "d-great"})
    assert offers.store.create(rival) == "created"
    real_accept = offers.store.accept
    interleaved: list[str] = []

    def great_commits_first(*args: Any) -> None:
        if not interleaved:
            interleaved.append("d-great")
            offers.service.accept(driver("d-great"), "o-1:2")
        real_accept(*args)

    monkeypatch.setattr(offers.store, "accept", great_commits_first)

    with pytest.raises(OrderTaken) as lost:
        offers.service.accept(driver("d-fan"), "o-1:1")

    assert "withdrawn" in lost.value.message
    assigned = offers.order(order.order_id)
    assert (assigned.status, assigned.driver_id, assigned.block_id) == ("assigned", "d-great", None)
    assert offers.history() == [("d-fan", "withdrawn"), ("d-great", "accepted")]


def test_a_second_accept_by_the_same_driver_answers_the_accepted_offer_and_changes_nothing(
    offers: Offers,
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    offers.offer_out()

    accepted = offers.service.accept(driver("d-fan"), "o-1:1")
    offers.world.now += timedelta(seconds=30)
    again = offers.service.accept(driver("d-fan"), "o-1:1")  # a retry, as decline allows

    assert accepted.status == again.status == "accepted"
    assert again.ended_at == accepted.ended_at
    assert offers.order().driver_id == "d-fan"
    assert offers.history() == [("d-fan", "accepted")]


def test_only_the_offered_driver_may_answer_an_offer(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.place()
    offers.offer_out()

    for answer in (offers.service.accept, offers.service.decline):
        with pytest.raises(NotFound):
            answer(driver("d-great"), "o-1:1")
        with pytest.raises(NotFound):
            answer(driver("d-fan"), "o-1:9")
    assert offers.history() == [("d-fan", "pending")]


def test_an_order_cancelled_elsewhere_withdraws_its_offer(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    offers.offer_out()
    offers.world.orders.cancel(RETAILER, "o-1")

    seen = offers.pending("d-fan")  # the driver's list withdraws it before answering
    settled = offers.service.settle()

    assert seen == []
    assert settled.withdrawn == 0  # withdrawn already
    (offer,) = offers.service.of_order(OPS, "o-1").offers
    assert (offer.status, offer.withdrawn_because) == ("withdrawn", "cancelled")
    with pytest.raises(OfferClosed):
        offers.service.accept(driver("d-fan"), "o-1:1")


def test_an_order_assigned_elsewhere_withdraws_its_offer_on_the_next_run(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    order = offers.place()
    offers.offer_out()
    # Dispatch gave it to a driver on a block meanwhile.
    elsewhere = order.model_copy(
        update={"status": "assigned", "driver_id": "d-block", "block_id": "b-1"}
    )
    assert offers.world.order_repository.transition(order, elsewhere)

    first, second = offers.service.settle(), offers.service.settle()

    assert (first.withdrawn, second.withdrawn) == (1, 0)
    (offer,) = offers.service.of_order(OPS, "o-1").offers
    assert (offer.status, offer.withdrawn_because) == ("withdrawn", "assigned")
    assert offers.offer_out() is None


def test_an_accept_after_the_order_went_elsewhere_is_409_order_taken(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    order = offers.place()
    offers.offer_out()
    elsewhere = order.model_copy(
        update={"status": "assigned", "driver_id": "d-block", "block_id": "b-1"}
    )
    offers.world.order_repository.transition(order, elsewhere)

    with pytest.raises(OrderTaken):
        offers.service.accept(driver("d-fan"), "o-1:1")

    assert offers.history() == [("d-fan", "withdrawn")]
    assert offers.order().driver_id == "d-block"


def test_nobody_deactivated_stale_offline_far_busy_or_too_late_is_offered_anything(
    offers: Offers,
) -> None:
    offers.online("d-deactivated", Tier.FANTASTIC)
    offers.world.standing.decide(
        OPS, "d-deactivated", ReviewDecisionRequest(decision="deactivate", note="fraud")
    )
    offers.online("d-stale", Tier.FANTASTIC)
    offers.world.now += config.AVAILABILITY_FRESH_FOR + timedelta(seconds=1)
    offers.online("d-far", Tier.FANTASTIC, FAR)
    offers.online("d-offline", Tier.FANTASTIC)
    offers.service.set_availability(
        driver("d-offline"),
        "d-offline",
        AvailabilityRequest(online=False, lat=NEAR["lat"], lng=NEAR["lng"]),
    )
    offers.online("d-busy", Tier.FANTASTIC)
    offers.place("o-busy")
    offers.offer_out("o-busy")  # d-busy holds this offer: no second one at once
    offers.place("o-1")

    assert offers.offer_out("o-1") is None
    # An order ready in more than OFFER_LEAD is not offered out yet.
    offers.online("d-fair", Tier.FAIR)
    later = offers.world.now + config.OFFER_LEAD + timedelta(minutes=1)
    offers.place(
        "o-later", readyAt=later.isoformat(), deliverBy=(later + timedelta(hours=2)).isoformat()
    )
    assert offers.offer_out("o-later") is None
    assert offers.offer_out("o-1") is not None


def test_an_order_taken_by_instant_offer_is_picked_up_delivered_and_rated_without_a_block(
    offers: Offers,
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    offers.offer_out()
    offers.service.accept(driver("d-fan"), "o-1:1")
    fan = driver("d-fan")

    assignments = offers.world.orders.assignments(fan, "d-fan")
    picked = offers.world.orders.pickup(fan, "o-1", NEAR_MALL_POINT)
    delivered = offers.world.orders.deliver(fan, "o-1", DeliveryOutcome(outcome="delivered"))

    assert [o.order_id for o in assignments.orders] == ["o-1"]
    assert assignments.orders[0].block_id is None
    assert (picked.status, delivered.status) == ("picked_up", "delivered")
    delivery = offers.world.deliveries_repository.get("o-1")
    assert delivery is not None and delivery.driver_id == "d-fan"
    assert offers.world.orders.assignments(fan, "d-fan").orders == []


def test_an_order_taken_by_instant_offer_can_be_cancelled_before_pickup(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    offers.offer_out()
    offers.service.accept(driver("d-fan"), "o-1:1")

    cancelled = offers.world.orders.cancel(RETAILER, "o-1")

    assert cancelled.status == "cancelled"
    assert offers.world.orders.assignments(driver("d-fan"), "d-fan").orders == []


def test_dispatch_offers_out_an_order_no_driver_on_a_block_can_take(
    offers: Offers, aws: Stack
) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    dispatch = DispatchService(
        offers.world.dispatch_repository,
        offers.world.leases,
        offers.world.malls,
        driver_standing,
        decide,
        clock=lambda: offers.world.now,
        instant_offers=offers.service,
    )

    dispatch.run([MALL])
    dispatch.run_all()

    assert offers.history() == [("d-fan", "pending")]


def test_a_driver_sees_and_sets_only_their_own_availability_and_offers(offers: Offers) -> None:
    request = AvailabilityRequest(online=True, lat=NEAR["lat"], lng=NEAR["lng"])

    with pytest.raises(NotFound):
        offers.service.set_availability(driver("d-a"), "d-b", request)
    with pytest.raises(NotFound):
        offers.service.pending(driver("d-a"), "d-b")
    with pytest.raises(NotFound):
        offers.service.of_order(OPS, "nobody")
    shown = offers.service.set_availability(driver("d-a"), "d-a", request)
    assert shown.fresh_until == offers.world.now + config.AVAILABILITY_FRESH_FOR
    assert Point(lat=shown.lat, lng=shown.lng) == Point(**NEAR)


def test_a_driver_deactivated_after_the_offer_was_made_cannot_accept_it(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place()
    offers.offer_out()
    offers.world.standing.decide(
        OPS, "d-fan", ReviewDecisionRequest(decision="deactivate", note="fraud")
    )

    with pytest.raises(Deactivated):
        offers.service.accept(driver("d-fan"), "o-1:1")

    assert offers.order().status == "placed"


def on_a_block(offers: Offers, driver_id: str) -> None:
    """The driver holds b-1 (10:00 to 14:00 from now) and checks in at its start, 10 hours on."""
    fantastic(offers.world, driver_id)
    publish(offers.world)
    offers.world.blocks.accept(driver(driver_id), "b-1")
    offers.world.now += timedelta(hours=10)
    check_in_at_start(offers.world, driver_id)


def test_a_driver_checked_in_on_a_block_is_offered_no_instant_work_until_it_ends(
    offers: Offers,
) -> None:
    on_a_block(offers, "d-fan")
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.place("o-1")

    during = offers.offer_out("o-1")
    offers.world.now += timedelta(hours=4)  # the block ends
    offers.online("d-fan", None)
    offers.place("o-2")
    after = offers.offer_out("o-2")

    assert during is not None and during.driver_id == "d-great"
    assert after is not None and after.driver_id == "d-fan"


def test_a_driver_who_holds_an_order_cannot_accept_a_second_one(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place("o-1")
    offers.place("o-2")
    offers.offer_out("o-1")
    offers.service.accept(driver("d-fan"), "o-1:1")
    # A stale offer of another order to the same driver, as an older run could have left one.
    (accepted,) = offers.service.of_order(OPS, "o-1").offers
    stale = accepted.model_copy(
        update={"offer_id": "o-2:1", "order_id": "o-2", "status": "pending", "ended_at": None}
    )
    offers.world.client.put_item(TableName=offers.store.table_name, Item=offer_item(stale))

    with pytest.raises(DriverBusy) as busy:
        offers.service.accept(driver("d-fan"), "o-2:1")

    assert busy.value.code == "driver_busy"
    assert "o-1" in busy.value.message
    assert (offers.order("o-2").status, offers.order("o-2").driver_id) == ("placed", None)
    assert offers.history("o-2") == [("d-fan", "pending")]


def test_a_driver_checked_in_on_a_block_cannot_accept_an_instant_offer(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place("o-1")
    offer = offers.offer_out("o-1")  # made before the check-in
    assert offer is not None
    on_a_block(offers, "d-fan")
    late = offer.model_copy(update={"expires_at": offers.world.now + config.OFFER_WINDOW})
    offers.world.client.put_item(TableName=offers.store.table_name, Item=offer_item(late))

    with pytest.raises(DriverBusy) as busy:
        offers.service.accept(driver("d-fan"), "o-1:1")

    assert "b-1" in busy.value.message
    assert offers.order("o-1").status == "placed"


def test_two_runs_that_both_read_a_driver_as_free_give_them_one_pending_offer(
    offers: Offers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race at its worst: the run offering o-1 has read d-fan as free when the run offering
    o-2 offers them o-2. (moto in-process does not serialise threads: the runs are interleaved
    by hand.)"""
    offers.online("d-fan", Tier.FANTASTIC)
    offers.online("d-great", Tier.GREAT)
    offers.place("o-1")
    offers.place("o-2")
    real_holds_work = offers.store.holds_work
    interleaved: list[str] = []

    def other_run_offers_first(driver_id: str, now: Any) -> bool:
        seen = real_holds_work(driver_id, now)
        if not interleaved:
            interleaved.append("o-2")
            offers.offer_out("o-2")
        return seen

    monkeypatch.setattr(offers.store, "holds_work", other_run_offers_first)

    first = offers.offer_out("o-1")

    assert offers.pending("d-fan") == ["o-2:1"]
    assert first is not None and (first.offer_id, first.driver_id) == ("o-1:1", "d-great")


def test_a_declined_offer_frees_the_driver_for_the_next_order_at_once(offers: Offers) -> None:
    offers.online("d-fan", Tier.FANTASTIC)
    offers.place("o-1")
    offers.place("o-2")
    offers.offer_out("o-1")
    assert offers.offer_out("o-2") is None  # d-fan holds an offer: nobody else is online

    offers.service.decline(driver("d-fan"), "o-1:1")

    second = offers.offer_out("o-2")
    assert second is not None and second.driver_id == "d-fan"


def test_offer_out_rereads_the_order_and_offers_nothing_once_it_is_assigned(
    offers: Offers,
) -> None:
    """Dispatch reads waiting orders from an index that lags: the order it passes may have been
    assigned by another run a moment ago."""
    offers.online("d-fan", Tier.FANTASTIC)
    stale = offers.place()
    elsewhere = stale.model_copy(
        update={"status": "assigned", "driver_id": "d-block", "block_id": "b-1"}
    )
    assert offers.world.order_repository.transition(stale, elsewhere)

    made = offers.service.offer_out(offers.mall(), stale, offers.world.now)

    assert made is None
    assert offers.history() == []
    assert offers.pending("d-fan") == []

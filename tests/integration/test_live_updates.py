"""Live updates on moto: each change on the streams reaches the connections of whoever may see it,
and nobody else's; a redelivered record pushes the same id; a gone connection is removed; the
customer never reaches a driver; a released block finds its drivers by query, never a Scan."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from flexfleet.dynamodb.streams import StreamRecord
from flexfleet.ratings.model import DecisionSubmission, DisputeSubmission
from flexfleet.realtime import config
from flexfleet.realtime.model import Connection
from flexfleet.standing.review import ReviewDecisionRequest
from flexfleet.tiers import Tier
from infra.local_runtime.stack import Stack
from tests.integration.conftest import World
from tests.integration.live import Live
from tests.integration.test_instant_offers import Offers
from tests.integration.test_retail import (
    CUSTOMER,
    MALL,
    OPS,
    RETAILER,
    driver,
    fantastic,
    prefer,
    publish,
    setup_mall,
    stand,
)
from tests.integration.test_standing import DRIVER, deliver_and_rate, run_batch, stream_batch


@pytest.fixture
def live(world: World, aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Live:
    # One recipient at a time, so that the stubbed answers meet the posts in a known order.
    monkeypatch.setattr(config, "FANOUT_CONCURRENCY", 1)
    return Live(world, aws)


def everything_posted(live: Live) -> str:
    return json.dumps(live.sockets.posted)


# ------------------------------------------------------------------------------- ratings
def test_a_new_rating_reaches_every_connection_of_the_rated_driver_and_nobody_else(
    world: World, live: Live
) -> None:
    live.connect("d1-phone", "d-1", "driver")
    live.connect("d1-laptop", "d-1", "driver")
    live.connect("d2-phone", "d-2", "driver")
    live.connect("customer", "c-1", "customer")
    deliver_and_rate(world, 1, 4, comment="Left it by the door", tags=["on_time"])
    live.sockets.expect("ok", "ok")

    live.notify("RatingsTable")

    live.sockets.done()
    assert live.sockets.frames("d1-laptop") == live.sockets.frames("d1-phone")
    (frame,) = live.sockets.frames("d1-phone")
    assert frame["type"] == "rating.created"
    assert frame["at"].endswith("Z")
    assert frame["data"] == {
        "ratingId": "del-d-1-1",
        "deliveryId": "del-d-1-1",
        "stars": 4,
        "factors": None,
        "comment": "Left it by the door",
        "tags": ["on_time"],
        "createdAt": frame["data"]["createdAt"],
    }
    assert set(live.sockets.posted) == {"d1-phone", "d1-laptop"}


def test_the_customer_who_rated_never_reaches_the_driver(world: World, live: Live) -> None:
    live.connect("d1-phone", "d-1", "driver")
    deliver_and_rate(world, 1, 2, comment="Late")
    live.sockets.expect("ok")

    live.notify("RatingsTable")

    assert live.sockets.types("d1-phone") == ["rating.created"]
    assert "c-1" not in everything_posted(live)
    assert "customerId" not in everything_posted(live)


def test_a_redelivered_record_pushes_the_same_id_and_another_record_another(
    world: World, live: Live
) -> None:
    live.connect("d1-phone", "d-1", "driver")
    deliver_and_rate(world, 1, 5)
    deliver_and_rate(world, 2, 5)
    records = live.streams.new("RatingsTable")["Records"]
    live.sockets.expect("ok", "ok", "ok")

    first = live.notifier().handle_record(StreamRecord.model_validate(records[0]))
    again = live.notifier().handle_record(StreamRecord.model_validate(records[0]))
    other = live.notifier().handle_record(StreamRecord.model_validate(records[1]))

    ids = [frame["id"] for frame in live.sockets.frames("d1-phone")]
    assert ids[0] == ids[1] == first[0].id == again[0].id
    assert ids[2] == other[0].id != ids[0]


def test_a_gone_connection_is_removed_and_the_users_others_still_get_the_message(
    world: World, live: Live
) -> None:
    live.connect("d1-a-closed", "d-1", "driver")
    live.connect("d1-b-open", "d-1", "driver")
    deliver_and_rate(world, 1, 5)
    deliver_and_rate(world, 2, 3)
    live.sockets.expect("gone", "ok", "ok")  # the first rating: a then b; the second: b only
    notifier = live.notifier()

    live.notify("RatingsTable", notifier)

    live.sockets.done()
    assert live.stored("d1-a-closed") is None
    assert live.stored("d1-b-open") is not None
    assert live.sockets.types("d1-b-open") == ["rating.created", "rating.created"]
    assert (notifier.outcome.pushed, notifier.outcome.gone) == (2, 1)


def test_a_connection_whose_token_has_expired_is_pushed_nothing_before_ttl_deletes_it(
    world: World, live: Live
) -> None:
    live.connect("d1-old-token", "d-1", "driver", token_exp=world.now + timedelta(minutes=30))
    live.connect("d1-fresh-token", "d-1", "driver", token_exp=world.now + timedelta(hours=1))
    world.now += timedelta(minutes=31)
    deliver_and_rate(world, 1, 5)
    live.sockets.expect("ok")

    live.notify("RatingsTable")

    live.sockets.done()
    assert live.sockets.types("d1-fresh-token") == ["rating.created"]
    assert live.sockets.frames("d1-old-token") == []
    assert live.stored("d1-old-token") is not None  # DynamoDB's TTL deletes it in its own time


def test_a_user_over_the_cap_by_a_race_is_pushed_on_their_newest_connections_alone(
    world: World, live: Live
) -> None:
    """Two $connects at once can both pass the count; the notifier bounds its posts itself."""
    for n in range(12):  # written as racing $connects would, past the count
        at = world.now + timedelta(seconds=n)
        live.connections.add(
            Connection(
                connection_id=f"d1-{n:02}",
                user_id="d-1",
                groups=frozenset({"driver"}),
                connected_at=at,
                expires_at=at + timedelta(hours=1),
            )
        )
    world.now += timedelta(minutes=1)
    deliver_and_rate(world, 1, 5)
    live.sockets.expect(*["ok"] * config.MAX_CONNECTIONS_PER_USER)

    live.notify("RatingsTable")

    live.sockets.done()
    assert sorted(live.sockets.posted) == [f"d1-{n:02}" for n in range(2, 12)]


def test_a_connection_opened_without_the_driver_role_gets_no_driver_message(
    world: World, live: Live
) -> None:
    """As GET /drivers/{driverId}/ratings refuses a token without the driver role."""
    live.connect("d1-as-customer", "d-1", "customer")
    deliver_and_rate(world, 1, 5)

    live.notify("RatingsTable")

    assert live.sockets.posted == {}


def test_a_decided_dispute_reaches_the_driver_and_opening_it_or_responding_does_not(
    world: World, live: Live
) -> None:
    live.connect("d1-phone", "d-1", "driver")
    deliver_and_rate(world, 1, 1)
    deliver_and_rate(world, 2, 2)
    live.streams.skip("RatingsTable")
    for rating, decision in (("del-d-1-1", "upheld"), ("del-d-1-2", "rejected")):
        world.ratings.dispute(DRIVER, rating, DisputeSubmission(reason="wrong_driver", text="No"))
        world.ratings.decide(OPS, rating, DecisionSubmission(decision=decision, note="GPS"))
    live.sockets.expect("ok", "ok")

    live.notify("RatingsTable")

    frames = live.sockets.frames("d1-phone")
    assert [(f["type"], f["data"]["ratingId"], f["data"]["outcome"]) for f in frames] == [
        ("dispute.decided", "del-d-1-1", "upheld"),
        ("dispute.decided", "del-d-1-2", "rejected"),
    ]
    assert frames[0]["data"]["note"] == "GPS"


# ------------------------------------------------------------------------------ standing
def test_a_standing_change_reaches_the_driver_through_the_standing_history(
    world: World, live: Live, aws: Stack
) -> None:
    live.connect("d1-phone", "d-1", "driver")
    live.connect("d2-phone", "d-2", "driver")
    deliver_and_rate(world, 1, 1)
    run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    live.write_history()
    live.sockets.expect("ok")

    live.notify("StandingHistoryTable")

    (frame,) = live.sockets.frames("d1-phone")
    assert frame["type"] == "standing.changed"
    data = frame["data"]
    assert (data["driverId"], data["tier"], data["previousTier"]) == ("d-1", "Fair", None)
    assert data["components"]["customerRating"] == "4.6190"
    assert set(data["components"]) == {
        "customerRating",
        "onTimeRate",
        "completionRate",
        "reliability",
    }
    assert live.sockets.frames("d2-phone") == []


# ---------------------------------------------------------------------------------- orders
@pytest.fixture
def offers(world: World, aws: Stack) -> Offers:
    setup_mall(world)
    return Offers(world, aws)


def test_an_orders_status_reaches_its_retailer_and_its_customer_and_its_assignment_the_driver(
    world: World, live: Live, offers: Offers
) -> None:
    live.connect("store", RETAILER.sub, "retailer")
    live.connect("other-store", "store-8", "retailer")
    live.connect("customer", CUSTOMER.sub, "customer")
    live.connect("fan", "i-fan", "driver")
    live.connect("great", "i-great", "driver")
    offers.online("i-fan", Tier.FANTASTIC)
    offers.online("i-great", Tier.GREAT)
    offers.place()
    offer = offers.offer_out()
    assert offer is not None
    offers.service.accept(driver("i-fan"), offer.offer_id)
    live.sockets.expect(*["ok"] * 6)

    live.notify("OrdersTable")
    live.notify("InstantOffersTable")

    live.sockets.done()
    statuses = [(f["type"], f["data"]["status"]) for f in live.sockets.frames("store")]
    assert statuses == [("order.status", "placed"), ("order.status", "assigned")]
    assert live.sockets.frames("customer") == live.sockets.frames("store")
    assert set(live.sockets.frames("store")[0]["data"]) == {"orderId", "status", "statusChangedAt"}
    assert live.sockets.types("fan") == ["order.assigned", "instantOffer.created"]
    assigned, offered = live.sockets.frames("fan")
    assert assigned["data"]["orderId"] == "o-1" and assigned["data"]["storeName"] == "Shoe Palace"
    assert offered["data"]["offerId"] == offer.offer_id
    assert offered["data"]["pay"] == str(offer.pay)
    assert CUSTOMER.sub not in json.dumps(live.sockets.frames("fan"))
    assert live.sockets.frames("great") == [] and live.sockets.frames("other-store") == []


# ---------------------------------------------------------------------------------- blocks
def test_a_reserved_offer_reaches_its_fantastic_driver_with_its_block(
    world: World, live: Live
) -> None:
    setup_mall(world)
    fantastic(world, "fan")
    live.connect("fan", "fan", "driver")
    publish(world, capacity=5)  # a fifth reserved: one offer, to fan
    live.sockets.expect("ok")

    live.notify("ReservedOffersTable")

    (frame,) = live.sockets.frames("fan")
    assert frame["type"] == "offer.reserved"
    data = frame["data"]
    assert (data["blockId"], data["mallId"], data["reserved"]) == ("b-1", MALL, True)
    assert (data["hourlyRate"], data["pay"]) == ("19.50", "78.00")
    assert data["expiresAt"] == (world.now + timedelta(minutes=30)).isoformat().replace(
        "+00:00", "Z"
    )


def released_to(live: Live, *connections: str) -> dict[str, list[str]]:
    return {c: [f["data"]["blockId"] for f in live.sockets.frames(c)] for c in connections}


def reconnect(live: Live, *drivers: str) -> None:
    """Each driver connected again, as the dashboard does once its connection's two hours are up
    (the same ids, so that each driver's frames stay under one)."""
    for name in drivers:
        live.connect(name, name, "driver")


def test_a_released_block_reaches_each_driver_of_the_tiers_it_reaches_who_prefers_the_mall(
    world: World, live: Live
) -> None:
    setup_mall(world)
    for name, tier in (("fan", Tier.FANTASTIC), ("great", Tier.GREAT), ("risk", Tier.AT_RISK)):
        stand(world, name, tier)
        prefer(world, name)
        live.connect(name, name, "driver")
    stand(world, "fan-elsewhere", Tier.FANTASTIC)
    prefer(world, "fan-elsewhere", "chandler-fashion-center")
    live.connect("fan-elsewhere", "fan-elsewhere", "driver")
    stand(world, "great-barred", Tier.GREAT)
    prefer(world, "great-barred")
    live.connect("great-barred", "great-barred", "driver")
    world.standing.decide(
        OPS, "great-barred", ReviewDecisionRequest(decision="deactivate", note="fraud")
    )
    publish(world)  # retail: premium. Fantastic now, Great in 2 hours, Fair 6, At Risk 8
    everyone = ("fan", "great", "risk", "fan-elsewhere", "great-barred")
    live.sockets.expect("ok", "ok")
    world.requests.reset()

    live.notify("BlocksTable")  # published: Fantastic
    at_publication = released_to(live, *everyone)
    world.now += timedelta(hours=2, minutes=1)
    reconnect(live, *everyone)
    world.block_jobs.release()
    live.notify("BlocksTable")  # Great
    world.now += timedelta(hours=7)
    reconnect(live, *everyone)
    world.block_jobs.release()
    live.notify("BlocksTable")  # Fair and At Risk: but no premium block for At Risk

    live.sockets.done()
    assert at_publication == {
        "fan": ["b-1"],
        "great": [],
        "risk": [],
        "fan-elsewhere": [],
        "great-barred": [],
    }
    assert released_to(live, *everyone) == at_publication | {"great": ["b-1"]}
    (frame,) = live.sockets.frames("great")
    assert frame["type"] == "offer.released"
    assert {"blockId", "mallId", "start", "end", "hourlyRate", "pay"} <= set(frame["data"])
    assert "Scan" not in world.requests.counts


def test_a_full_block_released_to_a_tier_is_pushed_to_nobody(world: World, live: Live) -> None:
    setup_mall(world)
    fantastic(world, "fan", "fan-2")
    stand(world, "great", Tier.GREAT)
    prefer(world, "great")
    live.connect("great", "great", "driver")
    publish(world, capacity=1)
    live.streams.skip("BlocksTable")
    world.blocks.accept(driver("fan"), "b-1")
    world.now += timedelta(hours=2, minutes=1)
    world.block_jobs.release()

    live.notify("BlocksTable")

    assert live.sockets.posted == {}


def test_a_surge_or_a_booking_is_no_release_and_pushes_nothing(world: World, live: Live) -> None:
    setup_mall(world)
    fantastic(world, "fan", "fan-2")
    live.connect("fan-2", "fan-2", "driver")
    publish(world)
    live.streams.skip("BlocksTable")
    world.now += timedelta(hours=7, minutes=30)  # 2.5 hours before the start, unfilled
    assert world.block_jobs.surge() == 1
    world.blocks.accept(driver("fan"), "b-1")

    live.notify("BlocksTable")

    assert live.sockets.posted == {}


def test_a_record_of_a_table_the_notifier_does_not_read_fails(live: Live, aws: Stack) -> None:
    record: dict[str, Any] = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSourceARN": aws.get_att("DeliveriesTable", "StreamArn"),
        "dynamodb": {"SequenceNumber": "1", "StreamViewType": "NEW_AND_OLD_IMAGES", "Keys": {}},
    }

    with pytest.raises(ValueError, match="does not read"):
        live.notifier().handle_record(StreamRecord.model_validate(record))


# --------------------------------------------------------------------- the function itself
@pytest.fixture
def notifier_function(
    world: World, live: Live, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[dict[str, Any]], Any]]:
    """NotifierFunction's handler, built by the composition as in Lambda, over the world's tables
    and the stubbed management API."""
    from flexfleet import composition
    from functions.notifier import app as notifier_app
    from tests.factories import lambda_context

    monkeypatch.setenv(
        "WEBSOCKET_ENDPOINT", "wss://abc123.execute-api.us-east-1.amazonaws.com/live"
    )
    monkeypatch.setattr(composition, "management_api_client", lambda url: live.sockets.client)
    # The world's time: the connections were opened on it, and expire on it.
    monkeypatch.setattr(composition, "clock", lambda: lambda: world.now)
    cached = (composition.dynamodb, composition.management_api)
    for provider in cached:
        provider.cache_clear()
    yield lambda event: notifier_app.lambda_handler(event, lambda_context())
    for provider in cached:
        provider.cache_clear()


def test_the_notifier_function_pushes_a_batch_and_reports_no_failure(
    world: World, live: Live, notifier_function: Callable[[dict[str, Any]], Any]
) -> None:
    live.connect("d1-phone", "d-1", "driver")
    deliver_and_rate(world, 1, 5)
    deliver_and_rate(world, 2, 4)
    live.sockets.expect("ok", "ok")

    outcome = notifier_function(live.streams.new("RatingsTable"))

    assert outcome == {"batchItemFailures": []}
    assert live.sockets.types("d1-phone") == ["rating.created", "rating.created"]


@pytest.mark.parametrize("failure", ["throttled", "unavailable"])
def test_a_push_that_fails_but_for_a_gone_connection_fails_its_record_alone(
    world: World, live: Live, notifier_function: Callable[[dict[str, Any]], Any], failure: str
) -> None:
    """A throttle or a 5xx fails the record, to be retried; a 410 is no failure: the connection
    is removed, and the batch's other records are pushed all the same."""
    live.connect("d1-phone", "d-1", "driver")
    live.connect("d2-a-closed", "d-2", "driver")
    live.connect("d2-b-open", "d-2", "driver")
    live.connect("d3-phone", "d-3", "driver")
    for n, driver_id in enumerate(("d-1", "d-2", "d-3"), start=1):
        deliver_and_rate(world, n, 5, driver_id=driver_id)
    event = live.streams.new("RatingsTable")
    sequence = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    assert len(sequence) == 3  # one record a rating, in the order rated
    live.sockets.expect(failure, "gone", "ok", "ok")  # d1-phone; d2-a, d2-b; d3-phone

    outcome = notifier_function(event)

    live.sockets.done()
    assert outcome == {"batchItemFailures": [{"itemIdentifier": sequence[0]}]}
    assert live.stored("d2-a-closed") is None
    assert live.stored("d1-phone") is not None  # a throttle is no sign the connection is gone
    assert live.sockets.types("d2-b-open") == ["rating.created"]
    assert live.sockets.types("d3-phone") == ["rating.created"]

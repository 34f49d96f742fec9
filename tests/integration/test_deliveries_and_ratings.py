"""Deliveries, ratings, responses and disputes through the services, against moto."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from flexfleet.clock import CLOCK_SKEW
from flexfleet.deliveries.model import DeliveryReport
from flexfleet.errors import (
    AlreadyRated,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OwnRecord,
    Unprocessable,
)
from flexfleet.identity import Caller
from flexfleet.ratings.config import RATING_RETENTION
from flexfleet.ratings.model import (
    DecisionSubmission,
    DisputeSubmission,
    Rating,
    RatingForDriver,
    RatingSubmission,
    ResponseSubmission,
)
from tests.factories import delivery_report
from tests.integration.conftest import World

SYSTEM = Caller(sub="station-1", groups=frozenset({"system"}))
OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))
CUSTOMER = Caller(sub="c-1", groups=frozenset({"customer"}))
OTHER_CUSTOMER = Caller(sub="c-2", groups=frozenset({"customer"}))
DRIVER = Caller(sub="d-1", groups=frozenset({"driver"}))
OTHER_DRIVER = Caller(sub="d-2", groups=frozenset({"driver"}))
RETAILER = Caller(sub="r-1", groups=frozenset({"retailer"}))


def record(world: World, delivery_id: str, **overrides: Any) -> None:
    world.deliveries.record(
        SYSTEM, DeliveryReport.model_validate(delivery_report(delivery_id, **overrides))
    )


def rate(
    world: World, delivery_id: str, stars: int = 5, caller: Caller = CUSTOMER, **extra: object
) -> Rating:
    return world.ratings.submit(
        caller, delivery_id, RatingSubmission.model_validate({"stars": stars, **extra})
    )


# ------------------------------------------------------------------ deliveries
def test_recording_the_same_delivery_twice_is_a_no_op(world: World) -> None:
    report = DeliveryReport.model_validate(delivery_report("del-1"))

    first, created = world.deliveries.record(SYSTEM, report)
    again, created_again = world.deliveries.record(SYSTEM, report)

    assert (created, created_again) == (True, False)
    assert again == first


def test_the_same_delivery_id_with_other_details_is_a_conflict(world: World) -> None:
    record(world, "del-1")

    with pytest.raises(Conflict):
        record(world, "del-1", driver_id="d-9")


def test_a_delivery_is_visible_to_its_customer_driver_and_ops_only(world: World) -> None:
    record(world, "del-1")

    for caller in (CUSTOMER, DRIVER, OPS):
        assert world.deliveries.get(caller, "del-1").delivery_id == "del-1"
    for stranger in (OTHER_CUSTOMER, OTHER_DRIVER):
        with pytest.raises(NotFound):
            world.deliveries.get(stranger, "del-1")
    with pytest.raises(Forbidden):
        world.deliveries.get(RETAILER, "del-1")
    with pytest.raises(Forbidden):
        record_as(world, CUSTOMER)


def record_as(world: World, caller: Caller) -> None:
    world.deliveries.record(caller, DeliveryReport.model_validate(delivery_report("del-x")))


# --------------------------------------------------------------------- ratings
def test_a_rating_takes_one_read_and_one_write(world: World) -> None:
    record(world, "del-1")
    world.requests.reset()

    rating = rate(world, "del-1", 4, comment="left it by the door as asked")

    assert (rating.rating_id, rating.driver_id, rating.customer_id) == ("del-1", "d-1", "c-1")
    assert dict(world.requests.counts) == {"BatchGetItem": 1, "PutItem": 1}


def test_the_same_rating_again_is_refused_as_already_rated_without_a_write(world: World) -> None:
    record(world, "del-1")
    rate(world, "del-1", 4, tags=["on_time"])
    world.requests.reset()

    with pytest.raises(AlreadyRated):
        rate(world, "del-1", 4, tags=["on_time"])

    assert dict(world.requests.counts) == {"BatchGetItem": 1}


def test_a_different_second_rating_is_a_conflict(world: World) -> None:
    record(world, "del-1")
    rate(world, "del-1", 4)

    with pytest.raises(Conflict):
        rate(world, "del-1", 1)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"outcome": "undeliverable", "cause": "external"}, Unprocessable),
        ({"outcome": "returned", "cause": "driver"}, Unprocessable),
    ],
)
def test_an_undelivered_delivery_cannot_be_rated(
    world: World, overrides: dict[str, object], problem: type
) -> None:
    record(world, "del-1", **overrides)

    with pytest.raises(problem):
        rate(world, "del-1")


def test_a_delivery_31_days_old_cannot_be_rated_but_30_can(world: World) -> None:
    record(
        world,
        "old",
        delivered_at=world.now - timedelta(days=31),
        promised_start=world.now - timedelta(days=31, hours=1),
    )
    record(
        world,
        "edge",
        delivered_at=world.now - timedelta(days=30),
        promised_start=world.now - timedelta(days=30, hours=1),
    )

    with pytest.raises(Unprocessable):
        rate(world, "old")
    assert rate(world, "edge").rating_id == "edge"


def test_only_the_deliverys_customer_may_rate_it(world: World) -> None:
    record(world, "del-1")

    with pytest.raises(NotFound):
        rate(world, "del-1", caller=OTHER_CUSTOMER)
    with pytest.raises(NotFound):
        rate(world, "no-such-delivery")
    with pytest.raises(Forbidden):
        rate(world, "del-1", caller=DRIVER)


def test_a_driver_sees_their_ratings_newest_first_without_who_gave_them(world: World) -> None:
    for n in range(5):
        record(world, f"del-{n}")
        world.now += timedelta(minutes=1)
        rate(world, f"del-{n}", 1 + n)

    page = world.ratings.page_of_driver(DRIVER, "d-1", limit=3, cursor=None)
    rest = world.ratings.page_of_driver(DRIVER, "d-1", limit=3, cursor=page.next_cursor)

    assert [r.stars for r in page.items + rest.items] == [5, 4, 3, 2, 1]
    assert all(isinstance(r, RatingForDriver) for r in page.items)
    assert "customerId" not in page.model_dump_json(by_alias=True)
    assert rest.next_cursor is None
    assert all(
        isinstance(r, Rating) for r in world.ratings.page_of_driver(OPS, "d-1", 10, None).items
    )


def test_a_driver_cannot_read_another_drivers_ratings_nor_forge_a_cursor(world: World) -> None:
    record(world, "del-1")
    rate(world, "del-1")

    with pytest.raises(NotFound):
        world.ratings.page_of_driver(OTHER_DRIVER, "d-1", 10, None)
    with pytest.raises(BadRequest):
        world.ratings.page_of_driver(DRIVER, "d-1", 10, "bm90LWEtY3Vyc29y")
    with pytest.raises(Forbidden):
        world.ratings.page_of_driver(CUSTOMER, "d-1", 10, None)


# ------------------------------------------------------- responses and disputes
def test_the_driver_may_respond_and_the_last_edit_wins(world: World) -> None:
    record(world, "del-1")
    rate(world, "del-1", 2)

    world.ratings.respond(DRIVER, "del-1", ResponseSubmission(text="Sorry, the gate was locked"))
    rating = world.ratings.respond(
        DRIVER, "del-1", ResponseSubmission(text="Sorry, the gate was locked.")
    )

    assert rating.response is not None
    assert rating.response.text == "Sorry, the gate was locked."
    with pytest.raises(NotFound):
        world.ratings.respond(OTHER_DRIVER, "del-1", ResponseSubmission(text="not mine"))


def test_a_rating_may_be_disputed_once_by_its_driver(world: World) -> None:
    record(world, "del-1")
    rate(world, "del-1", 1)
    submission = DisputeSubmission(reason="outside_driver_control", text="Locked gate, see photo")

    with pytest.raises(NotFound):
        world.ratings.dispute(OTHER_DRIVER, "del-1", submission)
    dispute = world.ratings.dispute(DRIVER, "del-1", submission)
    with pytest.raises(Conflict):
        world.ratings.dispute(DRIVER, "del-1", submission)

    assert dispute.status == "open"
    assert [d.dispute_id for d in world.ratings.disputes(OPS, "open", 10, None).items] == ["del-1"]


def test_an_upheld_dispute_excludes_the_rating_and_a_closed_one_cannot_be_decided_again(
    world: World,
) -> None:
    record(world, "del-1")
    rate(world, "del-1", 1)
    world.ratings.dispute(
        DRIVER, "del-1", DisputeSubmission(reason="wrong_driver", text="Not my delivery")
    )

    decided = world.ratings.decide(
        OPS, "del-1", DecisionSubmission(decision="upheld", note="GPS shows another van")
    )

    assert decided.status == "upheld"
    rating = world.ratings_repository.get("del-1")
    assert rating is not None and rating.exclusion is not None
    assert world.ratings.disputes(OPS, "open", 10, None).items == []
    with pytest.raises(Conflict):
        world.ratings.decide(OPS, "del-1", DecisionSubmission(decision="rejected", note="again"))
    with pytest.raises(Forbidden):
        world.ratings.decide(DRIVER, "del-1", DecisionSubmission(decision="upheld", note="me"))


def test_a_delivery_reported_in_another_time_zone_is_stored_and_counted_in_utc(
    world: World,
) -> None:
    report = delivery_report("tz-1", promised_start=world.now - timedelta(hours=3))
    offset = "-11:00"
    for name in ("start", "end"):
        utc = datetime.fromisoformat(report["promisedWindow"][name])
        report["promisedWindow"][name] = (
            utc.astimezone(timezone(timedelta(hours=-11)))
        ).isoformat()
    assert report["promisedWindow"]["start"].endswith(offset)

    world.deliveries.record(SYSTEM, DeliveryReport.model_validate(report))

    stored = world.client.get_item(
        TableName=world.deliveries_repository.table_name, Key={"deliveryId": {"S": "tz-1"}}
    )
    assert stored["Item"]["promisedStart"]["S"] == "2026-11-21T09:00:00Z"
    facts = world.sources.delivery_facts("d-1", world.now - timedelta(hours=4))
    assert [f.delivery_id for f in facts] == ["tz-1"]


# ------------------------------------------------------------- hardening
@pytest.mark.parametrize("own", ["driver_id", "customer_id"])
def test_nobody_records_a_delivery_of_their_own(world: World, own: str) -> None:
    driver_and_ops = Caller(sub="ops-7", groups=frozenset({"driver", "customer", "ops"}))
    body = delivery_report("del-own")
    body["driverId" if own == "driver_id" else "customerId"] = "ops-7"
    report = DeliveryReport.model_validate(body)
    world.requests.reset()

    with pytest.raises(OwnRecord) as refused:
        world.deliveries.record(driver_and_ops, report)

    assert refused.value.field == ("driverId" if own == "driver_id" else "customerId")
    assert world.requests.counts["PutItem"] == 0


def test_a_delivery_reported_as_delivered_in_the_future_is_refused_and_writes_nothing(
    world: World,
) -> None:
    future = world.now + CLOCK_SKEW + timedelta(seconds=1)
    world.requests.reset()

    with pytest.raises(Unprocessable) as refused:
        record(world, "del-future", delivered_at=future, promised_start=world.now)

    assert refused.value.field == "deliveredAt"
    assert world.requests.total == 0
    record(world, "del-skewed", delivered_at=world.now + CLOCK_SKEW, promised_start=world.now)


def test_a_rating_is_kept_for_its_retention_period_through_purge_at(
    world: World, dynamodb: Any
) -> None:
    record(world, "del-1")

    rating = rate(world, "del-1")

    item = dynamodb.Table("flexfleet-RatingsTable").get_item(Key={"ratingId": "del-1"})["Item"]
    assert item["purgeAt"] == int((rating.rated_at + RATING_RETENTION).timestamp())


def unreadable_rating(dynamodb: Any, rating_id: str, driver_id: str, **written: Any) -> None:
    """A rating item written by hand, as the README's old stream snippet did: not one the API
    writes (no delivery, no customer), or, with `written`, one with every attribute but a
    value the API would refuse."""
    dynamodb.Table("flexfleet-RatingsTable").put_item(
        Item={
            "ratingId": rating_id,
            "driverId": driver_id,
            "stars": 5,
            "ratedAt": "2026-11-21T10:00:00Z",
            **written,
        }
    )


COMPLETE = {"deliveryId": "r-hand", "customerId": "c-9", "deliveredAt": "2026-11-21T09:00:00Z"}


def test_a_page_with_an_unreadable_item_shows_the_rest_and_never_fails(
    world: World, dynamodb: Any
) -> None:
    record(world, "del-1")
    rate(world, "del-1", stars=4)
    unreadable_rating(dynamodb, "r-hand", "d-1")

    page = world.ratings.page_of_driver(DRIVER, "d-1", 20, None)

    assert [r.rating_id for r in page.items] == ["del-1"]
    assert [
        f.rating_id for f in world.sources.rating_facts("d-1", world.now - timedelta(days=1))
    ] == ["del-1"]


@pytest.mark.parametrize(
    "written",
    [
        {},
        {**COMPLETE, "stars": 9},
        {**COMPLETE, "deliveredAt": "not-a-date"},
        {**COMPLETE, "tags": ["bogus"]},
    ],
)
def test_an_unreadable_item_reads_as_absent_and_is_never_half_updated(
    world: World, dynamodb: Any, written: dict[str, Any]
) -> None:
    unreadable_rating(dynamodb, "r-hand", "d-1", **written)
    before = dynamodb.Table("flexfleet-RatingsTable").get_item(Key={"ratingId": "r-hand"})["Item"]

    with pytest.raises(NotFound):
        world.ratings.respond(DRIVER, "r-hand", ResponseSubmission(text="hi"))
    with pytest.raises(NotFound):
        world.ratings.dispute(DRIVER, "r-hand", DisputeSubmission(reason="other", text="x"))
    with pytest.raises(NotFound):
        world.ratings.decide(OPS, "r-hand", DecisionSubmission(decision="upheld", note="n"))

    after = dynamodb.Table("flexfleet-RatingsTable").get_item(Key={"ratingId": "r-hand"})["Item"]
    assert after == before


def test_an_attribute_a_newer_version_added_does_not_make_a_rating_unreadable(
    world: World, dynamodb: Any
) -> None:
    record(world, "del-1")
    rate(world, "del-1", stars=4)
    table = dynamodb.Table("flexfleet-RatingsTable")
    table.update_item(
        Key={"ratingId": "del-1"},
        UpdateExpression="SET channel = :c, #r = :r",
        ExpressionAttributeNames={"#r": "response"},
        ExpressionAttributeValues={
            ":c": "app",
            ":r": {"text": "thanks", "updatedAt": "2026-11-21T12:00:00Z", "language": "en"},
        },
    )

    page = world.ratings.page_of_driver(DRIVER, "d-1", 20, None)

    assert [r.rating_id for r in page.items] == ["del-1"]
    assert page.items[0].response is not None and page.items[0].response.text == "thanks"


@pytest.mark.parametrize(
    ("name", "moment"),
    [
        ("ratedAt", "9999-12-31T23:00:00-05:00"),
        ("ratedAt", "2026-11-21T10:00"),
        ("deliveredAt", 1700000000),
    ],
)
def test_a_stored_time_the_api_would_refuse_makes_the_rating_unreadable(
    world: World, dynamodb: Any, name: str, moment: object
) -> None:
    record(world, "del-1")
    rate(world, "del-1", stars=4)
    dynamodb.Table("flexfleet-RatingsTable").update_item(
        Key={"ratingId": "del-1"},
        UpdateExpression="SET #at = :at",
        ExpressionAttributeNames={"#at": name},
        ExpressionAttributeValues={":at": moment},
    )

    page = world.ratings.page_of_driver(DRIVER, "d-1", 20, None)

    assert page.items == []
    assert world.sources.rating_facts("d-1", world.now - timedelta(days=1)) == []

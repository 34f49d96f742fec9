"""Standing recomputed from the tables, against moto: idempotent, tiered, warned, reviewed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from flexfleet.deliveries.model import DeliveryReport
from flexfleet.errors import NotFound
from flexfleet.identity import Caller
from flexfleet.ratings.model import (
    DecisionSubmission,
    DisputeSubmission,
    RatingSubmission,
    ResponseSubmission,
)
from flexfleet.standing import config
from flexfleet.standing.events import StandingEvents
from flexfleet.standing.model import delivery_component, rating_component
from flexfleet.standing.service import StandingService
from flexfleet.standing.stream import StreamRecord, standing_batch
from flexfleet.tiers import Tier
from infra.local_runtime.stack import Stack
from tests.factories import delivery_report, stream_event_from_table
from tests.integration.conftest import World

SYSTEM = Caller(sub="station-1", groups=frozenset({"system"}))
OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))
DRIVER = Caller(sub="d-1", groups=frozenset({"driver"}))


def deliver_and_rate(
    world: World, n: int, stars: int, driver_id: str = "d-1", **rating: Any
) -> None:
    customer = Caller(sub=f"c-{n}", groups=frozenset({"customer"}))
    report = delivery_report(f"del-{driver_id}-{n}", driver_id=driver_id, customer_id=customer.sub)
    world.deliveries.record(SYSTEM, DeliveryReport.model_validate(report))
    world.ratings.submit(
        customer, report["deliveryId"], RatingSubmission.model_validate({"stars": stars, **rating})
    )


def from_scratch(world: World, driver_id: str) -> tuple[Any, Any]:
    ratings = world.sources.rating_facts(driver_id, world.now - config.RATING_WINDOW)
    deliveries = world.sources.delivery_facts(driver_id, world.now - config.DELIVERY_WINDOW)
    return rating_component(ratings, world.now), delivery_component(deliveries, world.now)


def stored(world: World, driver_id: str) -> dict[str, Any]:
    item = world.standings.get(driver_id)
    assert item is not None
    return item


def stream_batch(stack: Stack, table: str) -> dict[str, Any]:
    """Everything on the table's stream so far, as one Lambda event."""
    streams = boto3.client("dynamodbstreams")
    arn = stack.get_att(table, "StreamArn")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    return stream_event_from_table([dict(r) for r in records], arn)


def run_batch(world: World, stack: Stack, event: dict[str, Any]) -> None:
    _, batch = standing_batch(
        event["Records"],
        world.ratings_table,
        world.deliveries_table,
        world.projector.ratings_changed,
        world.projector.deliveries_changed,
    )
    for record in event["Records"]:
        batch.handle_record(StreamRecord.model_validate(record))


@pytest.fixture
def events_queue(aws: Stack) -> Iterator[str]:
    """An SQS queue that receives every StandingChanged event from the default bus."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="standing-changes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="standing-changes", EventPattern=json.dumps({"detail-type": ["StandingChanged"]})
    )
    events.put_targets(Rule="standing-changes", Targets=[{"Id": "q", "Arn": arn}])
    yield url


def standing_changes(url: str) -> list[dict[str, Any]]:
    messages = (
        boto3.client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        .get("Messages", [])
    )
    return [json.loads(m["Body"])["detail"] for m in messages]


def test_a_batch_recomputes_standing_equal_to_a_from_scratch_recomputation(
    world: World, aws: Stack
) -> None:
    for n in range(12):
        deliver_and_rate(world, n, 3 + n % 3)

    run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    run_batch(world, aws, stream_batch(aws, "DeliveriesTable"))

    ratings, deliveries = from_scratch(world, "d-1")
    item = stored(world, "d-1")
    assert item["rating"]["score"] == ratings.score
    assert item["rating"]["counted"] == 12
    assert item["deliveries"]["on_time_rate"] == deliveries.on_time_rate


def test_the_same_batch_delivered_twice_leaves_standing_as_once(world: World, aws: Stack) -> None:
    for n in range(5):
        deliver_and_rate(world, n, 5 - n % 2)
    batch = stream_batch(aws, "RatingsTable")

    run_batch(world, aws, batch)
    once = stored(world, "d-1")["rating"]
    run_batch(world, aws, batch)

    assert stored(world, "d-1")["rating"] == once
    assert once["counted"] == 5


def test_a_batch_costs_two_requests_per_driver_and_nothing_per_rating(
    world: World, aws: Stack
) -> None:
    for n in range(100):
        deliver_and_rate(world, n, 5, driver_id=f"d-{n % 4}")
    batch = stream_batch(aws, "RatingsTable")
    run_batch(world, aws, batch)  # first run: the tiers are set
    world.requests.reset()

    run_batch(world, aws, batch)

    assert world.requests.counts == {"Query": 4, "UpdateItem": 4}


def test_a_response_changes_no_standing_and_costs_nothing(world: World, aws: Stack) -> None:
    deliver_and_rate(world, 1, 5)
    run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    world.ratings.respond(DRIVER, "del-d-1-1", ResponseSubmission(text="Thanks!"))
    last = stream_batch(aws, "RatingsTable")
    last["Records"] = last["Records"][-1:]
    world.requests.reset()

    run_batch(world, aws, last)

    assert world.requests.total == 0


def test_an_upheld_dispute_takes_the_rating_out_of_standing(world: World, aws: Stack) -> None:
    deliver_and_rate(world, 1, 5)
    deliver_and_rate(world, 2, 1)
    world.ratings.dispute(
        DRIVER, "del-d-1-2", DisputeSubmission(reason="wrong_driver", text="Not me")
    )
    world.ratings.decide(OPS, "del-d-1-2", DecisionSubmission(decision="upheld", note="GPS"))

    run_batch(world, aws, stream_batch(aws, "RatingsTable"))

    rating = stored(world, "d-1")["rating"]
    assert (rating["counted"], rating["excluded"], rating["sum_stars"]) == (1, 1, 5)


def test_entering_at_risk_warns_publishes_and_reaches_review_after_14_days(
    world: World, aws: Stack, events_queue: str
) -> None:
    for n in range(60):
        deliver_and_rate(world, n, 3 + n % 2)
    run_batch(world, aws, stream_batch(aws, "DeliveriesTable"))  # first tier: Great, no event
    run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    service = StandingService(world.standings, lambda: world.now)

    standing = service.of_driver(DRIVER, "d-1")
    queue_now = service.review_queue(OPS).items
    world.now += timedelta(days=14)
    queue_later = service.review_queue(OPS).items

    assert standing.tier == "At Risk"
    assert standing.review.warned_at is not None and standing.review.evidence
    assert standing.components["customerRating"].next_tier == "Fair"
    assert queue_now == []
    assert [s.driver_id for s in queue_later] == ["d-1"]
    [change] = standing_changes(events_queue)
    assert (change["driverId"], change["oldTier"], change["newTier"]) == ("d-1", "Great", "At Risk")
    assert "pendingChange" not in stored(world, "d-1")


def test_the_daily_sweep_finds_ratings_ageing_out_through_the_day_index(
    world: World, aws: Stack
) -> None:
    deliver_and_rate(world, 1, 1, driver_id="d-old")
    deliver_and_rate(world, 2, 5, driver_id="d-quiet")
    run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    world.now += config.RATING_WINDOW + timedelta(hours=1)
    world.requests.reset()

    affected = world.daily_sweep.affected_drivers()
    world.daily_sweep.run(affected)

    assert affected == {"d-old", "d-quiet"}
    assert stored(world, "d-old")["rating"]["counted"] == 0
    assert "Scan" not in world.requests.counts


def test_a_tier_is_never_derived_from_components_that_were_overwritten(world: World) -> None:
    stale = world.standings.write_component("d-1", {"ratingTier": 2}, "ratingsAsOf", 100, world.now)
    world.standings.write_component("d-1", {"ratingTier": 0}, "ratingsAsOf", 200, world.now)
    assert stale is not None

    moved = world.standings.write_tier("d-1", stale, Tier.GREAT, world.now)
    world.projector._settle("d-1", stale)  # what a recompute does with its now stale snapshot

    assert not moved
    assert stored(world, "d-1")["tier"] == "At Risk"
    assert "warnedAt" in stored(world, "d-1")


def test_a_change_whose_publication_failed_is_published_by_the_next_recompute(
    world: World, aws: Stack, events_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver_and_rate(world, 1, 5)
    run_batch(world, aws, stream_batch(aws, "DeliveriesTable"))  # first tier: no event
    for n in range(2, 40):
        deliver_and_rate(world, n, 1)

    def eventbridge_down(*_: object) -> None:
        raise RuntimeError("EventBridge is down")

    with monkeypatch.context() as outage:
        outage.setattr(StandingEvents, "tier_changed", eventbridge_down)
        with pytest.raises(RuntimeError):
            run_batch(world, aws, stream_batch(aws, "RatingsTable"))
    assert stored(world, "d-1")["pendingChange"]["newTier"] == "At Risk"
    run_batch(world, aws, stream_batch(aws, "RatingsTable"))  # the stream delivers it again

    [change] = standing_changes(events_queue)
    assert (change["oldTier"], change["newTier"]) == ("Great", "At Risk")
    assert "pendingChange" not in stored(world, "d-1")


def test_a_new_drivers_first_tier_publishes_no_change(
    world: World, aws: Stack, events_queue: str
) -> None:
    deliver_and_rate(world, 1, 5)

    run_batch(world, aws, stream_batch(aws, "RatingsTable"))

    assert stored(world, "d-1")["tier"] == "Great"
    assert standing_changes(events_queue) == []


RATING_COMPONENT = {
    "score": Decimal("4.8"),
    "counted": 0,
    "sum_stars": 0,
    "in_window": 0,
    "excluded": 0,
    "excused": 0,
    "histogram": {},
    "factor_averages": {},
    "trend_recent": None,
    "trend_before": None,
    "upper_bound": None,
}


def flagged_standing(world: World, dynamodb: Any, driver_id: str, **stored: Any) -> None:
    """A standing item for review: At Risk, with evidence, warned long enough ago."""
    warned = (world.now - config.REVIEW_WARNING_NOTICE - timedelta(days=1)).isoformat()
    dynamodb.Table("flexfleet-StandingTable").put_item(
        Item={
            "driverId": driver_id,
            "tier": "At Risk",
            "warnedBucket": "warned",
            "warnedAt": warned,
            "ratingEvidence": True,
            "onTimeTier": 0,
            **stored,
        }
    )


@pytest.mark.parametrize(
    "stored",
    [
        {"ratingTier": "high"},
        {"ratingTier": True},
        {"ratingTier": Decimal("1.5")},
        {"rating": {**RATING_COMPONENT, "score": Decimal("1E+30")}},
        {"tierChangedAt": "2020-01-01T00:00:00"},
        {"updatedAt": "9999-12-31T23:59:59-05:00"},
    ],
)
def test_an_unreadable_standing_item_is_absent_and_leaves_the_review_queue_standing(
    world: World, dynamodb: Any, stored: dict[str, Any]
) -> None:
    flagged_standing(world, dynamodb, "d-bad", **stored)
    service = StandingService(world.standings, lambda: world.now)

    with pytest.raises(NotFound):
        service.of_driver(OPS, "d-bad")
    assert service.review_queue(OPS).items == []


def test_a_readable_warned_driver_with_evidence_is_in_the_review_queue(
    world: World, dynamodb: Any
) -> None:
    flagged_standing(world, dynamodb, "d-good")
    service = StandingService(world.standings, lambda: world.now)

    assert [v.driver_id for v in service.review_queue(OPS).items] == ["d-good"]

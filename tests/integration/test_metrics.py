"""Every function that works says so in Powertools metrics (CloudWatch's embedded metric format,
on stdout): ratings accepted, duplicate and refused; components written; tier changes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from flexfleet import composition
from flexfleet.deliveries.model import DeliveryReport
from flexfleet.identity import Caller
from functions.ratings_api import app as ratings_api
from functions.standing_stream import app as standing_stream
from infra.local_runtime.stack import Stack
from tests.factories import delivery_report, dynamodb_stream_event, http_api_event, lambda_context
from tests.integration.conftest import World
from tests.integration.test_standing import stream_batch

SYSTEM = Caller(sub="station-1", groups=frozenset({"system"}))
CACHED = (
    composition.dynamodb,
    composition.rating_service,
    composition.standing_settings,
    composition.standing_sources,
    composition.standing_events,
)


@pytest.fixture
def environment(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("Deliveries", "Ratings", "Standing"):
        monkeypatch.setenv(f"{name.upper()}_TABLE_NAME", aws.table_name(f"{name}Table"))
    monkeypatch.setenv("EVENT_BUS_NAME", "default")
    for provider in CACHED:
        provider.cache_clear()
    yield
    for provider in CACHED:
        provider.cache_clear()


def metrics_printed(output: str) -> Counter[str]:
    """The metrics of every EMF document printed, summed by name."""
    totals: Counter[str] = Counter()
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document: dict[str, Any] = json.loads(line)
        for definition in document["_aws"]["CloudWatchMetrics"]:
            for metric in definition["Metrics"]:
                value = document[metric["Name"]]
                totals[metric["Name"]] += sum(value) if isinstance(value, list) else value
    return totals


def rate(delivery_id: str, customer: str, stars: int) -> int:
    event = http_api_event(
        "POST",
        f"/deliveries/{delivery_id}/rating",
        route_key="POST /deliveries/{deliveryId}/rating",
        claims={"sub": customer, "cognito:groups": "[customer]"},
        body=json.dumps({"stars": stars}),
        path_parameters={"deliveryId": delivery_id},
    )
    return int(ratings_api.lambda_handler(event, lambda_context())["statusCode"])


def test_ratings_accepted_duplicate_and_refused_are_counted(
    world: World, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deliveries.record(SYSTEM, DeliveryReport.model_validate(delivery_report("del-1")))
    capsys.readouterr()

    statuses = [rate("del-1", "c-1", 5), rate("del-1", "c-1", 5), rate("del-1", "c-2", 5)]

    assert statuses == [201, 409, 404]
    printed = metrics_printed(capsys.readouterr().out)
    assert (printed["RatingsAccepted"], printed["RatingsDuplicate"], printed["RatingsRefused"]) == (
        1,
        1,
        1,
    )


def test_a_stream_batch_counts_what_it_wrote_and_its_failures(
    world: World, aws: Stack, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    world.deliveries.record(SYSTEM, DeliveryReport.model_validate(delivery_report("del-1")))
    rate("del-1", "c-1", 5)
    capsys.readouterr()

    answer = standing_stream.lambda_handler(stream_batch(aws, "RatingsTable"), lambda_context())

    printed = metrics_printed(capsys.readouterr().out)
    assert answer["batchItemFailures"] == []
    assert printed["ComponentsWritten"] == 1
    assert printed["TierChanges"] == 1  # the driver's first tier
    assert printed["BatchItemFailures"] == 0


def test_deliveries_recorded_and_disputes_opened_and_decided_are_counted(
    world: World, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from functions.deliveries_api import app as deliveries_api
    from functions.disputes_api import app as disputes_api

    def call(module: Any, method: str, path: str, key: str, sub: str, role: str, body: Any) -> int:
        event = http_api_event(
            method,
            path,
            route_key=key,
            claims={"sub": sub, "cognito:groups": f"[{role}]"},
            body=json.dumps(body),
        )
        return int(module.lambda_handler(event, lambda_context())["statusCode"])

    report = delivery_report("del-1", customer_id="c-1")
    statuses = [
        call(deliveries_api, "POST", "/deliveries", "POST /deliveries", "st-1", "system", report),
        call(deliveries_api, "POST", "/deliveries", "POST /deliveries", "st-1", "system", report),
        rate("del-1", "c-1", 1),
        call(
            ratings_api,
            "POST",
            "/ratings/del-1/dispute",
            "POST /ratings/{ratingId}/dispute",
            "d-1",
            "driver",
            {"reason": "other", "text": "not me"},
        ),
        call(
            disputes_api,
            "POST",
            "/disputes/del-1/decision",
            "POST /disputes/{disputeId}/decision",
            "ops-1",
            "ops",
            {"decision": "rejected", "note": "checked"},
        ),
    ]

    assert statuses == [201, 200, 201, 201, 200]
    printed = metrics_printed(capsys.readouterr().out)
    assert (printed["DeliveriesRecorded"], printed["DisputesOpened"]) == (1, 1)
    assert printed["DisputesDecided"] == 1


def test_a_batch_of_poison_alone_is_reported_record_by_record_not_raised(
    aws: Stack, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = {"ratingId": "r-1", "driverId": "d-1", "ratedAt": "2026-11-21T10:00:00Z", "stars": 5}
    event = dynamodb_stream_event(
        [("INSERT", bare, None)], stream_arn=aws.get_att("RatingsTable", "StreamArn")
    )

    answer = standing_stream.lambda_handler(event, lambda_context())

    sequence = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert answer["batchItemFailures"] == [{"itemIdentifier": sequence}]
    printed = metrics_printed(capsys.readouterr().out)
    assert (printed["BatchItemFailures"], printed["UnreadableItems"]) == (1, 1)

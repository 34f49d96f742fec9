"""The standing history on moto: a point only when the tier or a component moved, written once
however often its record comes, at no cost to the standing stream; read back oldest first, a
driver their own and ops anyone's, over a bounded window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from flexfleet import composition
from flexfleet.dynamodb.streams import StreamRecord
from flexfleet.errors import Forbidden, NotFound
from flexfleet.identity import Caller
from flexfleet.standing import config as standing_config
from flexfleet.standing.service import StandingService
from functions.standing_api import app as standing_api
from functions.standing_history import app as standing_history
from infra.local_runtime.stack import Stack
from tests.factories import http_api_event, lambda_context
from tests.integration.conftest import World
from tests.integration.live import Live
from tests.integration.test_standing import (
    DRIVER,
    OPS,
    deliver_and_rate,
    run_batch,
    stream_batch,
)


@pytest.fixture
def live(world: World, aws: Stack) -> Live:
    return Live(world, aws)


def service(world: World, live: Live) -> StandingService:
    return StandingService(world.standings, lambda: world.now, live.history)


def rate_and_recompute(world: World, aws: Stack, n: int, stars: int) -> None:
    deliver_and_rate(world, n, stars)
    event = stream_batch(aws, "RatingsTable")
    event["Records"] = event["Records"][-1:]
    run_batch(world, aws, event)


def test_a_first_standing_and_each_change_of_a_value_or_the_tier_make_one_point_each(
    world: World, live: Live, aws: Stack
) -> None:
    rate_and_recompute(world, aws, 1, 5)
    world.now += timedelta(hours=1)
    rate_and_recompute(world, aws, 2, 1)

    writer = live.write_history()

    assert writer.written == 2
    points = service(world, live).history(DRIVER, "d-1", 30).points
    assert [(p.tier, str(p.components["customerRating"])) for p in points] == [
        ("Great", "4.8095"),
        ("Fair", "4.6363"),
    ]
    assert points[0].at < points[1].at


def test_a_recompute_that_moves_nothing_writes_no_point_and_costs_no_request(
    world: World, live: Live, aws: Stack
) -> None:
    deliver_and_rate(world, 1, 5)
    batch = stream_batch(aws, "RatingsTable")
    run_batch(world, aws, batch)
    live.write_history()
    run_batch(world, aws, batch)  # the same ratings again: the component rewritten, unchanged
    world.requests.reset()

    writer = live.write_history()

    assert writer.written == 0
    assert world.requests.total == 0


def test_a_redelivered_standing_record_writes_its_point_once(
    world: World, live: Live, aws: Stack
) -> None:
    rate_and_recompute(world, aws, 1, 2)
    records = [StreamRecord.model_validate(r) for r in live.streams.new("StandingTable")["Records"]]

    first, again = live.writer(), live.writer()
    for record in records:
        first.handle_record(record)
    for record in records:
        again.handle_record(record)

    assert (first.written, again.written) == (1, 0)
    assert len(service(world, live).history(DRIVER, "d-1", 30).points) == 1


def test_the_standing_stream_path_still_costs_two_requests_per_driver(
    world: World, aws: Stack
) -> None:
    """The history is written by its own reader of the standing stream, not by the path that
    recomputes standing: that path is as it was."""
    for n in range(100):
        deliver_and_rate(world, n, 5, driver_id=f"d-{n % 4}")
    batch = stream_batch(aws, "RatingsTable")
    run_batch(world, aws, batch)
    world.requests.reset()

    run_batch(world, aws, batch)

    assert world.requests.counts == {"Query": 4, "UpdateItem": 4}


def test_a_driver_reads_their_own_history_ops_anyones_and_nobody_else_any(
    world: World, live: Live, aws: Stack
) -> None:
    rate_and_recompute(world, aws, 1, 5)
    live.write_history()
    history = service(world, live)

    assert len(history.history(DRIVER, "d-1", 30).points) == 1
    assert len(history.history(OPS, "d-1", 30).points) == 1
    assert history.history(OPS, "d-unknown", 30).points == []
    with pytest.raises(NotFound):
        history.history(Caller(sub="d-2", groups=frozenset({"driver"})), "d-1", 30)
    with pytest.raises(Forbidden):
        history.history(Caller(sub="d-1", groups=frozenset({"customer"})), "d-1", 30)


def test_the_window_leaves_out_points_older_than_the_days_asked_for(
    world: World, live: Live, aws: Stack
) -> None:
    rate_and_recompute(world, aws, 1, 5)
    world.now += timedelta(days=10)
    rate_and_recompute(world, aws, 2, 1)
    live.write_history()

    history = service(world, live)

    assert len(history.history(DRIVER, "d-1", 30).points) == 2
    assert [p.tier for p in history.history(DRIVER, "d-1", 5).points] == ["Fair"]


def test_a_window_with_more_points_than_a_read_returns_says_it_left_the_oldest_out(
    world: World, live: Live, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    rate_and_recompute(world, aws, 1, 5)
    world.now += timedelta(days=10)
    rate_and_recompute(world, aws, 2, 1)
    live.write_history()
    history = service(world, live)

    monkeypatch.setattr(standing_config, "HISTORY_MAX_POINTS", 2)
    whole = history.history(DRIVER, "d-1", 30)
    monkeypatch.setattr(standing_config, "HISTORY_MAX_POINTS", 1)
    cut = history.history(DRIVER, "d-1", 30)

    assert ([p.tier for p in whole.points], whole.truncated) == (["Great", "Fair"], False)
    assert ([p.tier for p in cut.points], cut.truncated) == (["Fair"], True)
    assert history.history(DRIVER, "d-1", 5).truncated is False  # the older one is outside


# ------------------------------------------------------------------ the functions themselves
@pytest.fixture
def environment(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STANDING_TABLE_NAME", aws.table_name("StandingTable"))
    monkeypatch.setenv("STANDING_HISTORY_TABLE_NAME", aws.table_name("StandingHistoryTable"))
    cached = (composition.dynamodb, composition.clock, composition.standing_service)
    for provider in cached:
        provider.cache_clear()
    yield
    for provider in cached:
        provider.cache_clear()


def history_request(driver_id: str, query: str, sub: str, groups: str) -> dict[str, Any]:
    event = http_api_event(
        "GET",
        f"/drivers/{driver_id}/standing/history",
        route_key="GET /drivers/{driverId}/standing/history",
        claims={"sub": sub, "cognito:groups": groups},
        path_parameters={"driverId": driver_id},
    )
    event["rawQueryString"] = query
    if query:
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    return event


def test_the_history_function_writes_points_and_the_route_serves_them_oldest_first(
    world: World, aws: Stack, environment: None
) -> None:
    for n in (1, 2):
        rate_and_recompute(world, aws, n, 5 if n == 1 else 1)
    event = stream_batch(aws, "StandingTable")

    outcome = standing_history.lambda_handler(event, lambda_context())
    response = standing_api.lambda_handler(
        history_request("d-1", "days=7", "d-1", "[driver]"), lambda_context()
    )

    assert outcome == {"batchItemFailures": []}
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["driverId"] == "d-1"
    assert body["truncated"] is False
    assert [p["tier"] for p in body["points"]] == ["Great", "Fair"]
    assert set(body["points"][0]) == {"at", "tier", "components"}
    assert body["points"][0]["components"]["customerRating"] == "4.8095"


@pytest.mark.parametrize("days", ["0", "366", "-1", "week", "1.5"])
def test_a_window_of_days_out_of_bounds_is_a_422_naming_days(
    days: str, aws: Stack, environment: None
) -> None:
    response = standing_api.lambda_handler(
        history_request("d-1", f"days={days}", "d-1", "[driver]"), lambda_context()
    )

    assert response["statusCode"] == 422
    assert json.loads(response["body"])["field"] == "days"


def test_an_unreadable_standing_image_fails_its_record_alone(aws: Stack, environment: None) -> None:
    good_image = {"driverId": {"S": "d-1"}, "ratingTier": {"N": "2"}, "tier": {"S": "Great"}}
    bad_image = {"driverId": {"S": "d-2"}, "ratingTier": {"N": "9"}, "tier": {"S": "Great"}}
    arn = aws.get_att("StandingTable", "StreamArn")
    records = [
        {
            "eventID": f"e-{n}",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
            "dynamodb": {
                "Keys": {"driverId": image["driverId"]},
                "NewImage": image,
                "SequenceNumber": str(n),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }
        for n, image in ((1, bad_image), (2, good_image))
    ]

    outcome = standing_history.lambda_handler({"Records": records}, lambda_context())

    assert outcome == {"batchItemFailures": [{"itemIdentifier": "1"}]}

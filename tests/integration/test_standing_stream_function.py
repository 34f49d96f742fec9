"""The stream function against moto: standing recomputed from the ratings table, idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from functions.standing_stream import app as standing_stream
from infra.local_runtime.stack import Stack
from tests.factories import dynamodb_stream_event, lambda_context, rating_item


@pytest.fixture
def handler(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("RATINGS_TABLE_NAME", aws.table_name("RatingsTable"))
    monkeypatch.setenv("STANDING_TABLE_NAME", aws.table_name("StandingTable"))
    standing_stream.repositories.cache_clear()
    yield lambda event: standing_stream.lambda_handler(event, lambda_context())
    standing_stream.repositories.cache_clear()


def store(dynamodb: Any, aws: Stack, *items: dict[str, Any]) -> None:
    table = dynamodb.Table(aws.table_name("RatingsTable"))
    for item in items:
        table.put_item(Item=item)


def standing_of(dynamodb: Any, aws: Stack, driver_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        dynamodb.Table(aws.table_name("StandingTable"))
        .get_item(Key={"driverId": driver_id})
        .get("Item")
    )
    return item


def test_a_batch_recomputes_each_drivers_standing_from_the_table(
    handler: Any, dynamodb: Any, aws: Stack
) -> None:
    ratings = [
        rating_item("r1", "d-1", 5, "2026-11-01"),
        rating_item("r2", "d-1", 4, "2026-11-02"),
        rating_item("r3", "d-2", 3, "2026-11-03"),
    ]
    store(dynamodb, aws, *ratings)

    response = handler(dynamodb_stream_event([("INSERT", r, None) for r in ratings]))

    assert response == {"batchItemFailures": []}
    d1 = standing_of(dynamodb, aws, "d-1")
    assert d1 is not None
    assert (d1["ratingCount"], d1["meanStars"]) == (2, Decimal("4.5"))
    d2 = standing_of(dynamodb, aws, "d-2")
    assert d2 is not None
    assert d2["ratingCount"] == 1


def test_the_same_batch_delivered_twice_leaves_standing_as_once(
    handler: Any, dynamodb: Any, aws: Stack
) -> None:
    ratings = [rating_item(f"r{n}", "d-1", 5 - n % 2, f"2026-11-0{n}") for n in range(1, 4)]
    store(dynamodb, aws, *ratings)
    batch = dynamodb_stream_event([("INSERT", r, None) for r in ratings])

    handler(batch)
    once = standing_of(dynamodb, aws, "d-1")
    handler(batch)
    twice = standing_of(dynamodb, aws, "d-1")

    assert once is not None and twice is not None
    assert (
        (twice["ratingCount"], twice["meanStars"])
        == (once["ratingCount"], once["meanStars"])
        == (3, Decimal("4.333"))
    )


def test_a_record_without_an_image_fails_alone_and_the_rest_take_effect(
    handler: Any, dynamodb: Any, aws: Stack
) -> None:
    good = rating_item("r1", "d-1", 5, "2026-11-01")
    store(dynamodb, aws, good)
    event = dynamodb_stream_event([("INSERT", good, None), ("INSERT", {"ratingId": "bad"}, None)])
    poison = event["Records"][1]
    poison["dynamodb"].pop("NewImage")

    response = handler(event)

    assert response == {
        "batchItemFailures": [{"itemIdentifier": poison["dynamodb"]["SequenceNumber"]}]
    }
    d1 = standing_of(dynamodb, aws, "d-1")
    assert d1 is not None and d1["ratingCount"] == 1


def test_a_deleted_rating_is_taken_out_of_standing(handler: Any, dynamodb: Any, aws: Stack) -> None:
    first, second = (
        rating_item("r1", "d-1", 5, "2026-11-01"),
        rating_item("r2", "d-1", 1, "2026-11-02"),
    )
    store(dynamodb, aws, first, second)
    handler(dynamodb_stream_event([("INSERT", first, None), ("INSERT", second, None)]))
    dynamodb.Table(aws.table_name("RatingsTable")).delete_item(Key={"ratingId": "r2"})

    handler(dynamodb_stream_event([("REMOVE", None, second)]))

    d1 = standing_of(dynamodb, aws, "d-1")
    assert d1 is not None
    assert (d1["ratingCount"], d1["meanStars"]) == (1, Decimal("5"))

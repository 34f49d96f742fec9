"""A stream batch hands its newest images to the recompute: once per item, newer than the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.standing.model import RatingFact
from flexfleet.standing.projector import _merged
from flexfleet.standing.sources import rating_source
from flexfleet.standing.stream import StandingBatch, StreamRecord
from tests.factories import dynamodb_stream_event

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def image(rating_id: str, stars: int, **extra: Any) -> dict[str, Any]:
    """A ratings item as the API writes it."""
    return {
        "ratingId": rating_id,
        "deliveryId": rating_id,
        "driverId": "d-1",
        "customerId": "c-1",
        "stars": stars,
        "ratedAt": NOW.isoformat(),
        "deliveredAt": (NOW - timedelta(hours=1)).isoformat(),
        **extra,
    }


def fact(rating_id: str, stars: int, excluded: bool = False) -> RatingFact:
    return RatingFact(
        rating_id=rating_id, stars=stars, rated_at=NOW - timedelta(days=1), excluded=excluded
    )


def recomputed(
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
) -> dict[str, dict[str, Any]]:
    """What each record of the batch hands to the recompute, by driver."""
    seen: dict[str, dict[str, Any]] = {}
    event = dynamodb_stream_event(changes)
    batch = StandingBatch(
        rating_source, event["Records"], lambda driver, facts: seen.update({driver: dict(facts)})
    )
    for record in event["Records"]:
        batch.handle_record(StreamRecord.model_validate(record))
    return seen


def test_an_insert_then_a_modify_of_one_rating_hands_over_its_last_image_once() -> None:
    seen = recomputed(
        [
            ("INSERT", image("r1", 5), None),
            (
                "MODIFY",
                image("r1", 5, response={"text": "thanks", "updatedAt": NOW.isoformat()}),
                image("r1", 5),
            ),
        ]
    )

    assert list(seen["d-1"]) == ["r1"]


def test_a_removed_rating_is_handed_over_as_gone() -> None:
    seen = recomputed([("INSERT", image("r1", 5), None), ("REMOVE", None, image("r1", 5))])

    assert seen["d-1"] == {"r1": None}


def test_a_response_alone_recomputes_nothing() -> None:
    reply = {"text": "thanks", "updatedAt": NOW.isoformat()}

    assert recomputed([("MODIFY", image("r1", 5, response=reply), image("r1", 5))]) == {}


def test_an_item_the_api_could_not_read_fails_its_record_and_counts_nowhere() -> None:
    bare = {"ratingId": "r-1", "driverId": "d-1", "ratedAt": NOW.isoformat(), "stars": 5}
    event = dynamodb_stream_event([("INSERT", bare, None), ("INSERT", image("r2", 4), None)])
    seen: dict[str, dict[str, Any]] = {}
    batch = StandingBatch(
        rating_source, event["Records"], lambda driver, facts: seen.update({driver: dict(facts)})
    )
    poison, good = (StreamRecord.model_validate(r) for r in event["Records"])

    with pytest.raises(UnreadableItem, match="deliveryId"):
        batch.handle_record(poison)
    batch.handle_record(good)

    assert list(seen["d-1"]) == ["r2"]


def test_the_batch_overrides_what_a_lagging_index_still_answers() -> None:
    stored = [fact("r1", 1), fact("r2", 4), fact("r3", 5)]
    batch = {"r1": fact("r1", 1, excluded=True), "r3": None, "r4": fact("r4", 2)}

    merged = {f.rating_id: f for f in _merged(stored, batch, "rating_id")}

    assert sorted(merged) == ["r1", "r2", "r4"]
    assert merged["r1"].excluded

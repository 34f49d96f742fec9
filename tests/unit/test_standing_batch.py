"""A stream batch hands its newest images to the recompute: once per item, newer than the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flexfleet.standing.model import RatingFact
from flexfleet.standing.recompute import _merged
from flexfleet.standing.stream import RatingImage, StandingBatch
from tests.factories import dynamodb_stream_event

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def image(rating_id: str, stars: int, **extra: Any) -> dict[str, Any]:
    return {
        "ratingId": rating_id,
        "driverId": "d-1",
        "stars": stars,
        "ratedAt": NOW.isoformat(),
        **extra,
    }


def fact(rating_id: str, stars: int, excluded: bool = False) -> RatingFact:
    return RatingFact(
        rating_id=rating_id, stars=stars, rated_at=NOW - timedelta(days=1), excluded=excluded
    )


def batch_seen_by_recompute(
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    event = dynamodb_stream_event(changes)
    StandingBatch(
        RatingImage, event["Records"], lambda driver, facts: seen.update({driver: facts})
    ).handle(None, RatingImage.model_validate(image("r1", 5)))
    return dict(seen["d-1"])


def test_an_insert_then_a_modify_of_one_rating_hands_over_its_last_image_once() -> None:
    facts = batch_seen_by_recompute(
        [
            ("INSERT", image("r1", 5), None),
            ("MODIFY", image("r1", 5, response={"text": "thanks"}), image("r1", 5)),
        ]
    )

    assert list(facts) == ["r1"]


def test_a_removed_rating_is_handed_over_as_gone() -> None:
    facts = batch_seen_by_recompute(
        [("INSERT", image("r1", 5), None), ("REMOVE", None, image("r1", 5))]
    )

    assert facts == {"r1": None}


def test_the_batch_overrides_what_a_lagging_index_still_answers() -> None:
    stored = [fact("r1", 1), fact("r2", 4), fact("r3", 5)]
    batch = {"r1": fact("r1", 1, excluded=True), "r3": None, "r4": fact("r4", 2)}

    merged = {f.rating_id: f for f in _merged(stored, batch, "rating_id")}

    assert sorted(merged) == ["r1", "r2", "r4"]
    assert merged["r1"].excluded

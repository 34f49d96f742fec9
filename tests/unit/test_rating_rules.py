"""The rules of rating and disputing, with an in-memory stand-in for the ratings repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from flexfleet.deliveries.model import Delivery
from flexfleet.errors import AlreadyRated, Conflict, Forbidden, NotFound, Unprocessable
from flexfleet.identity import Caller
from flexfleet.ratings.model import DecisionSubmission, Dispute, Exclusion, Rating, RatingSubmission
from flexfleet.ratings.repository import RatingExists, RatingRepository
from flexfleet.ratings.service import RatingService
from tests.factories import delivery_report

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
CUSTOMER = Caller(sub="c-1", groups=frozenset({"customer"}))
OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))


class MemoryRatings:
    """Keeps deliveries and ratings in dicts; the part of RatingRepository the rules use."""

    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}
        self.ratings: dict[str, Rating] = {}
        self.writes = 0

    def delivery_and_rating(self, delivery_id: str) -> tuple[Delivery | None, Rating | None]:
        return self.deliveries.get(delivery_id), self.ratings.get(delivery_id)

    def add(self, rating: Rating) -> None:
        if rating.rating_id in self.ratings:
            raise RatingExists(self.ratings[rating.rating_id])
        self.writes += 1
        self.ratings[rating.rating_id] = rating

    def get(self, rating_id: str) -> Rating | None:
        return self.ratings.get(rating_id)

    def close_dispute(self, decided: Dispute, exclusion: Exclusion | None) -> Rating | None:
        rating = self.ratings[decided.rating_id]
        if rating.dispute is None or rating.dispute.status != "open":
            return None
        self.ratings[decided.rating_id] = rating.model_copy(
            update={"dispute": decided, "exclusion": exclusion}
        )
        return self.ratings[decided.rating_id]


def delivered(store: MemoryRatings, delivery_id: str, ago: timedelta, **overrides: object) -> None:
    report = delivery_report(
        delivery_id,
        customer_id="c-1",
        delivered_at=NOW - ago,
        promised_start=NOW - ago - timedelta(hours=1),
        **overrides,  # type: ignore[arg-type]
    )
    store.deliveries[delivery_id] = Delivery.model_validate(
        {**report, "recordedAt": NOW.isoformat()}
    )


@pytest.fixture
def store() -> MemoryRatings:
    return MemoryRatings()


@pytest.fixture
def service(store: MemoryRatings) -> RatingService:
    return RatingService(cast(RatingRepository, store), clock=lambda: NOW)


def test_a_delivery_can_be_rated_until_exactly_30_days_after_it_arrived(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "edge", timedelta(days=30))
    delivered(store, "late", timedelta(days=30, seconds=1))

    assert service.submit(CUSTOMER, "edge", RatingSubmission(stars=5)).rating_id == "edge"
    with pytest.raises(Unprocessable):
        service.submit(CUSTOMER, "late", RatingSubmission(stars=5))


def test_a_rating_records_the_driver_and_customer_of_the_delivery(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "d1", timedelta(hours=1))

    rating = service.submit(CUSTOMER, "d1", RatingSubmission(stars=3, comment="ok"))

    assert store.writes == 1
    assert (rating.rating_id, rating.driver_id, rating.customer_id, rating.rated_at) == (
        "d1",
        "d-1",
        "c-1",
        NOW,
    )


def test_a_second_attempt_writes_nothing_and_says_whether_it_repeated_the_first(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "d1", timedelta(hours=1))
    service.submit(CUSTOMER, "d1", RatingSubmission(stars=3, tags=["late"]))

    with pytest.raises(AlreadyRated):
        service.submit(CUSTOMER, "d1", RatingSubmission(stars=3, tags=["late"]))
    with pytest.raises(Conflict) as changed_mind:
        service.submit(CUSTOMER, "d1", RatingSubmission(stars=4, tags=["late"]))

    assert store.writes == 1
    assert not isinstance(changed_mind.value, AlreadyRated)


def test_a_race_lost_at_the_write_is_answered_like_a_second_attempt(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "d1", timedelta(hours=1))
    winner = Rating(
        rating_id="d1",
        delivery_id="d1",
        driver_id="d-1",
        customer_id="c-1",
        stars=5,
        rated_at=NOW,
        delivered_at=NOW - timedelta(hours=1),
    )
    reads = store.delivery_and_rating
    store.delivery_and_rating = lambda delivery_id: (reads(delivery_id)[0], None)  # type: ignore[method-assign]
    store.ratings["d1"] = winner  # written by a concurrent request after our read

    with pytest.raises(AlreadyRated):
        service.submit(CUSTOMER, "d1", RatingSubmission(stars=5))
    with pytest.raises(Conflict):
        service.submit(CUSTOMER, "d1", RatingSubmission(stars=1))


def test_only_customers_rate_and_only_their_own_deliveries(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "d1", timedelta(hours=1))

    with pytest.raises(Forbidden):
        service.submit(
            Caller(sub="c-1", groups=frozenset({"driver"})), "d1", RatingSubmission(stars=5)
        )
    with pytest.raises(NotFound):
        service.submit(
            Caller(sub="c-2", groups=frozenset({"customer"})), "d1", RatingSubmission(stars=5)
        )


def test_only_an_upheld_decision_excludes_the_rating(
    store: MemoryRatings, service: RatingService
) -> None:
    for rating_id in ("a", "b"):
        delivered(store, rating_id, timedelta(hours=1))
        service.submit(CUSTOMER, rating_id, RatingSubmission(stars=1))
        rating = store.ratings[rating_id]
        dispute = Dispute(
            dispute_id=rating_id,
            rating_id=rating_id,
            driver_id="d-1",
            reason="other",
            text="t",
            status="open",
            opened_at=NOW,
        )
        store.ratings[rating_id] = rating.model_copy(update={"dispute": dispute})

    upheld = service.decide(OPS, "a", DecisionSubmission(decision="upheld", note="yes"))
    rejected = service.decide(OPS, "b", DecisionSubmission(decision="rejected", note="no"))

    assert (upheld.status, upheld.decided_by, upheld.decided_at) == ("upheld", "ops-1", NOW)
    assert store.ratings["a"].exclusion == Exclusion(
        reason="dispute_upheld", dispute_id="a", decided_at=NOW
    )
    assert rejected.status == "rejected" and store.ratings["b"].exclusion is None
    with pytest.raises(NotFound):
        service.decide(OPS, "no-such-dispute", DecisionSubmission(decision="upheld", note="?"))

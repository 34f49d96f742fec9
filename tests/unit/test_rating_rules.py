"""The rules of rating and disputing, with an in-memory stand-in for the ratings repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from pydantic import ValidationError

from flexfleet.deliveries.model import Delivery
from flexfleet.errors import AlreadyRated, Conflict, Forbidden, NotFound, OwnRecord, Unprocessable
from flexfleet.identity import Caller
from flexfleet.ratings.model import (
    DecisionSubmission,
    Dispute,
    DisputeSubmission,
    DriverResponse,
    Exclusion,
    Rating,
    RatingSubmission,
)
from flexfleet.ratings.repository import RatingExists
from flexfleet.ratings.service import RatingService
from tests.factories import delivery_report

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
CUSTOMER = Caller(sub="c-1", groups=frozenset({"customer"}))
OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))


class MemoryRatings:
    """Keeps deliveries and ratings in dicts: a RatingStore, as RatingRepository is."""

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

    def page_of_driver(
        self, driver_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Rating], str | None]:
        mine = [r for r in self.ratings.values() if r.driver_id == driver_id]
        return sorted(mine, key=lambda r: r.rated_at, reverse=True)[:limit], None

    def set_response(
        self, rating_id: str, driver_id: str, response: DriverResponse
    ) -> Rating | None:
        rating = self.ratings.get(rating_id)
        if rating is None or rating.driver_id != driver_id:
            return None
        self.ratings[rating_id] = rating.model_copy(update={"response": response})
        return self.ratings[rating_id]

    def open_dispute(self, dispute: Dispute) -> Rating | None:
        rating = self.ratings.get(dispute.rating_id)
        if rating is None or rating.driver_id != dispute.driver_id or rating.dispute is not None:
            return None
        self.ratings[dispute.rating_id] = rating.model_copy(update={"dispute": dispute})
        return self.ratings[dispute.rating_id]

    def page_of_disputes(
        self, status: str, limit: int, cursor: str | None
    ) -> tuple[list[Dispute], str | None]:
        disputes = [r.dispute for r in self.ratings.values() if r.dispute is not None]
        return [d for d in disputes if d.status == status][:limit], None

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
    return RatingService(store, clock=lambda: NOW)


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


def disputed(store: MemoryRatings, service: RatingService, rating_id: str, driver_id: str) -> None:
    delivered(store, rating_id, timedelta(hours=1), driver_id=driver_id)
    service.submit(CUSTOMER, rating_id, RatingSubmission(stars=1))
    driver = Caller(sub=driver_id, groups=frozenset({"driver"}))
    service.dispute(driver, rating_id, DisputeSubmission(reason="other", text="not me"))


@pytest.mark.parametrize("decision", ["upheld", "rejected"])
def test_ops_never_decide_a_dispute_over_their_own_rating(
    store: MemoryRatings, service: RatingService, decision: Literal["upheld", "rejected"]
) -> None:
    disputed(store, service, "r1", driver_id="ops-1")
    driver_and_ops = Caller(sub="ops-1", groups=frozenset({"driver", "ops"}))

    with pytest.raises(OwnRecord) as refused:
        service.decide(driver_and_ops, "r1", DecisionSubmission(decision=decision, note="mine"))

    assert (refused.value.code, refused.value.field) == ("own_record", "driverId")
    assert store.ratings["r1"].dispute is not None
    assert store.ratings["r1"].dispute.status == "open"
    assert store.ratings["r1"].exclusion is None


def test_ops_never_decide_a_dispute_over_a_rating_they_gave() -> None:
    store = MemoryRatings()
    service = RatingService(store, clock=lambda: NOW)
    disputed(store, service, "r1", driver_id="d-1")
    customer_and_ops = Caller(sub="c-1", groups=frozenset({"customer", "ops"}))

    with pytest.raises(OwnRecord):
        service.decide(customer_and_ops, "r1", DecisionSubmission(decision="upheld", note="x"))


def test_nothing_can_be_rated_before_it_was_delivered(
    store: MemoryRatings, service: RatingService
) -> None:
    delivered(store, "soon", -timedelta(minutes=3))  # within the clock skew, still ahead

    with pytest.raises(Unprocessable, match="not arrived yet"):
        service.submit(CUSTOMER, "soon", RatingSubmission(stars=5))

    assert store.writes == 0


@pytest.mark.parametrize(("sent", "stored"), [(4, 4), (4.0, 4), (1.0, 1)])
def test_stars_are_whole_numbers_and_4_0_is_4(sent: float, stored: int) -> None:
    submission = RatingSubmission.model_validate({"stars": sent, "factors": {"timeliness": sent}})

    assert submission.stars == stored and isinstance(submission.stars, int)
    assert submission.factors is not None and submission.factors.timeliness == stored


@pytest.mark.parametrize("sent", [4.5, "4", True, None, 0.0, 6.0])
def test_anything_else_is_not_a_number_of_stars(sent: object) -> None:
    with pytest.raises(ValidationError):
        RatingSubmission.model_validate({"stars": sent})

"""Rating a delivery, reading feedback, responding, disputing, and deciding disputes."""

from __future__ import annotations

from typing import Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.deliveries.model import Delivery
from flexfleet.errors import AlreadyRated, Conflict, NotFound, Unprocessable
from flexfleet.identity import Caller, Role
from flexfleet.ratings.config import RATING_DEADLINE
from flexfleet.ratings.model import (
    DecisionSubmission,
    Dispute,
    DisputePage,
    DisputeSubmission,
    DriverResponse,
    Exclusion,
    Rating,
    RatingForDriver,
    RatingPage,
    RatingSubmission,
    ResponseSubmission,
)
from flexfleet.ratings.repository import RatingExists


class RatingStore(Protocol):
    """What the rating rules need of storage: RatingRepository, or an in-memory stand-in."""

    def delivery_and_rating(self, delivery_id: str) -> tuple[Delivery | None, Rating | None]: ...

    def add(self, rating: Rating) -> None:
        """Stores a new rating; RatingExists, carrying the stored one, if one is there."""

    def get(self, rating_id: str) -> Rating | None: ...

    def page_of_driver(
        self, driver_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Rating], str | None]: ...

    def set_response(
        self, rating_id: str, driver_id: str, response: DriverResponse
    ) -> Rating | None: ...

    def open_dispute(self, dispute: Dispute) -> Rating | None: ...

    def close_dispute(self, decided: Dispute, exclusion: Exclusion | None) -> Rating | None: ...

    def page_of_disputes(
        self, status: str, limit: int, cursor: str | None
    ) -> tuple[list[Dispute], str | None]: ...


class RatingService:
    def __init__(self, ratings: RatingStore, clock: Clock = utc_now) -> None:
        self._ratings = ratings
        self._clock = clock

    def submit(self, caller: Caller, delivery_id: str, submission: RatingSubmission) -> Rating:
        """The new rating: one read, then one conditional write.

        A delivery is rated once. A second attempt is a conflict and writes nothing:
        AlreadyRated when it repeats the stored rating (a client retry), Conflict otherwise.
        """
        caller.require(Role.CUSTOMER)
        delivery, existing = self._ratings.delivery_and_rating(delivery_id)
        if delivery is None or delivery.customer_id != caller.sub:
            raise NotFound(f"no delivery {delivery_id}", field="deliveryId")
        if existing is not None:
            raise _second_attempt(existing, submission)
        if delivery.outcome != "delivered" or delivery.delivered_at is None:
            raise Unprocessable("only a delivered delivery can be rated", field="deliveryId")
        now = self._clock()
        if now < delivery.delivered_at:
            raise Unprocessable("this delivery has not arrived yet", field="deliveryId")
        if now - delivery.delivered_at > RATING_DEADLINE:
            raise Unprocessable(
                f"a delivery can be rated for {RATING_DEADLINE.days} days after it arrived",
                field="deliveryId",
            )
        rating = Rating(
            rating_id=delivery_id,
            delivery_id=delivery_id,
            driver_id=delivery.driver_id,
            customer_id=caller.sub,
            stars=submission.stars,
            factors=submission.factors,
            comment=submission.comment,
            tags=submission.tags,
            rated_at=now,
            delivered_at=delivery.delivered_at,
        )
        try:
            self._ratings.add(rating)
        except RatingExists as raced:
            if raced.existing is None:
                raise Conflict(
                    "this delivery has been rated already: one rating per delivery",
                    field="deliveryId",
                ) from raced
            raise _second_attempt(raced.existing, submission) from raced
        return rating

    def page_of_driver(
        self, caller: Caller, driver_id: str, limit: int, cursor: str | None
    ) -> RatingPage:
        caller.require(Role.DRIVER, Role.OPS)
        if Role.OPS not in caller.roles and caller.sub != driver_id:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        ratings, next_cursor = self._ratings.page_of_driver(driver_id, limit, cursor)
        items: list[RatingForDriver | Rating] = list(ratings)
        if Role.OPS not in caller.roles:
            items = [for_driver(r) for r in ratings]
        return RatingPage(items=items, next_cursor=next_cursor)

    def respond(
        self, caller: Caller, rating_id: str, submission: ResponseSubmission
    ) -> RatingForDriver:
        caller.require(Role.DRIVER)
        self._own_readable_rating(caller, rating_id)
        response = DriverResponse(text=submission.text, updated_at=self._clock())
        rating = self._ratings.set_response(rating_id, caller.sub, response)
        if rating is None:
            raise NotFound(f"no rating {rating_id}", field="ratingId")
        return for_driver(rating)

    def _own_readable_rating(self, caller: Caller, rating_id: str) -> Rating:
        """The caller's rating, read before any write: one the API cannot read is never
        written to (its item is reported and stays as it was)."""
        rating = self._ratings.get(rating_id)
        if rating is None or rating.driver_id != caller.sub:
            raise NotFound(f"no rating {rating_id}", field="ratingId")
        return rating

    def dispute(self, caller: Caller, rating_id: str, submission: DisputeSubmission) -> Dispute:
        caller.require(Role.DRIVER)
        rating = self._own_readable_rating(caller, rating_id)
        already = Conflict(
            "this rating has been disputed already: one dispute per rating", field="ratingId"
        )
        if rating.dispute is not None:
            raise already
        dispute = Dispute(
            dispute_id=rating_id,
            rating_id=rating_id,
            driver_id=caller.sub,
            reason=submission.reason,
            text=submission.text,
            status="open",
            opened_at=self._clock(),
        )
        if self._ratings.open_dispute(dispute) is None:  # a concurrent dispute won
            raise already
        return dispute

    def disputes(self, caller: Caller, status: str, limit: int, cursor: str | None) -> DisputePage:
        caller.require(Role.OPS)
        disputes, next_cursor = self._ratings.page_of_disputes(status, limit, cursor)
        return DisputePage(items=disputes, next_cursor=next_cursor)

    def decide(self, caller: Caller, dispute_id: str, submission: DecisionSubmission) -> Dispute:
        """Upholding a dispute excludes its rating; the ratings stream then recomputes standing."""
        caller.require(Role.OPS)
        rating = self._ratings.get(dispute_id)
        if rating is None or rating.dispute is None:
            raise NotFound(f"no dispute {dispute_id}", field="disputeId")
        caller.refuse_own_record(
            {"driverId": rating.driver_id, "customerId": rating.customer_id}, "this dispute"
        )
        now = self._clock()
        decided = rating.dispute.model_copy(
            update={
                "status": submission.decision,
                "decided_at": now,
                "decided_by": caller.sub,
                "note": submission.note,
            }
        )
        exclusion = (
            Exclusion(reason="dispute_upheld", dispute_id=dispute_id, decided_at=now)
            if submission.decision == "upheld"
            else None
        )
        if self._ratings.close_dispute(decided, exclusion) is None:
            raise Conflict(f"dispute {dispute_id} is closed already", field="disputeId")
        return decided


def for_driver(rating: Rating) -> RatingForDriver:
    """The rating without who gave it."""
    return RatingForDriver.model_validate(
        rating.model_dump(include=set(RatingForDriver.model_fields))
    )


def _second_attempt(existing: Rating, submission: RatingSubmission) -> Conflict:
    if existing.same_submission(submission):
        return AlreadyRated(
            "this delivery was rated already, with this same rating", field="deliveryId"
        )
    return Conflict(
        "this delivery has been rated already: one rating per delivery", field="deliveryId"
    )

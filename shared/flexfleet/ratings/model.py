"""Ratings, responses and disputes, as stored and as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from flexfleet.api_model import ApiModel, UtcDatetime, whole_number
from flexfleet.ids import Identifier

# Field first: its bounds then reach the JSON schema as minimum and maximum.
Stars = Annotated[int, Field(ge=1, le=5), BeforeValidator(whole_number)]

# Tags a customer may attach. The last four are causes outside the driver's control: a rating
# of 3 stars or fewer carrying only those does not count against the driver.
Tag = Literal[
    "on_time",
    "late",
    "friendly",
    "rude",
    "careful_handling",
    "damaged_package",
    "followed_instructions",
    "ignored_instructions",
    "wrong_drop_off",
    "no_photo",
    "retailer_packaging",
    "store_delay",
    "weather",
    "wrong_address",
]
DisputeReason = Literal[
    "outside_driver_control",
    "wrong_driver",
    "customer_error",
    "abusive_comment",
    "other",
]
DisputeStatus = Literal["open", "upheld", "rejected"]

MAX_TEXT = 1000


class Factors(ApiModel):
    """Optional 1-5 scores per aspect of the delivery."""

    timeliness: Stars | None = None
    professionalism: Stars | None = None
    package_care: Stars | None = None
    communication: Stars | None = None
    followed_instructions: Stars | None = None


class RatingSubmission(ApiModel):
    """The body of POST /deliveries/{deliveryId}/rating."""

    stars: Stars
    factors: Factors | None = None
    comment: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    tags: Annotated[list[Tag], Field(max_length=14)] = []


class ResponseSubmission(ApiModel):
    """The body of PUT /ratings/{ratingId}/response."""

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class DisputeSubmission(ApiModel):
    """The body of POST /ratings/{ratingId}/dispute."""

    reason: DisputeReason
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class DecisionSubmission(ApiModel):
    """The body of POST /disputes/{disputeId}/decision."""

    decision: Literal["upheld", "rejected"]
    note: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class DriverResponse(ApiModel):
    text: str
    updated_at: datetime


class Dispute(ApiModel):
    dispute_id: Identifier
    rating_id: Identifier
    driver_id: Identifier
    reason: DisputeReason
    text: str
    status: DisputeStatus
    opened_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str | None = None


class Exclusion(ApiModel):
    """Why a rating no longer counts."""

    reason: Literal["dispute_upheld"]
    dispute_id: Identifier
    decided_at: datetime


class Rating(ApiModel):
    """A stored rating. ratingId is the deliveryId: one rating per delivery."""

    rating_id: Identifier
    delivery_id: Identifier
    driver_id: Identifier
    customer_id: Identifier
    stars: Stars
    factors: Factors | None = None
    comment: str | None = None
    tags: list[Tag] = []
    rated_at: UtcDatetime
    delivered_at: UtcDatetime
    response: DriverResponse | None = None
    dispute: Dispute | None = None
    exclusion: Exclusion | None = None

    def same_submission(self, submission: RatingSubmission) -> bool:
        return (
            RatingSubmission(
                stars=self.stars, factors=self.factors, comment=self.comment, tags=self.tags
            )
            == submission
        )


class RatingForDriver(ApiModel):
    """A rating as its driver sees it: everything but who gave it."""

    rating_id: Identifier
    delivery_id: Identifier
    stars: Stars
    factors: Factors | None = None
    comment: str | None = None
    tags: list[Tag] = []
    rated_at: datetime
    response: DriverResponse | None = None
    dispute: Dispute | None = None
    exclusion: Exclusion | None = None


class RatingPage(ApiModel):
    items: list[RatingForDriver | Rating]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class DisputePage(ApiModel):
    items: list[Dispute]
    next_cursor: str | None = None

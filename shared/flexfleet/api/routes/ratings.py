"""Rating a delivery, a driver's feedback, responses and disputes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.identity import Caller, caller_from_event
from flexfleet.ids import Identifier
from flexfleet.ratings.model import (
    Dispute,
    DisputeSubmission,
    Rating,
    RatingForDriver,
    RatingPage,
    RatingSubmission,
    ResponseSubmission,
)
from flexfleet.ratings.service import RatingService

router = http_router()


def _service() -> RatingService:
    service: RatingService = router.context["ratings"]
    return service


def _caller() -> Caller:
    return caller_from_event(router.current_event.raw_event)


@router.post(
    "/deliveries/<deliveryId>/rating",
    summary="Rate a delivered delivery (its customer, once, within 30 days)",
    description=(
        "A second attempt answers 409 and writes nothing: with code already_rated when it "
        "repeats the stored rating (a retry, safe to treat as done), conflict otherwise."
    ),
    tags=["ratings"],
    responses=documented(Rating, 401, 403, 404, 409, 422, status=201, description="Rated"),
)
def rate_delivery(
    deliveryId: Annotated[Identifier, Path()],  # noqa: N803 - the path's name
    submission: Annotated[RatingSubmission, Body()],
) -> Response[Rating]:
    rating = _service().submit(_caller(), deliveryId, submission)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=rating)


@router.get(
    "/drivers/<driverId>/ratings",
    summary="A driver's ratings, newest first (that driver, or ops); drivers never see who rated",
    tags=["ratings"],
    responses=documented(RatingPage, 401, 403, 404, 422),
)
def driver_ratings(
    driverId: Annotated[Identifier, Path()],  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RatingPage:
    return _service().page_of_driver(_caller(), driverId, limit, cursor)


@router.put(
    "/ratings/<ratingId>/response",
    summary="The rated driver's public response; the last edit wins",
    tags=["ratings"],
    responses=documented(RatingForDriver, 401, 403, 404, 422),
)
def respond(
    ratingId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[ResponseSubmission, Body()],
) -> RatingForDriver:
    return _service().respond(_caller(), ratingId, submission)


@router.post(
    "/ratings/<ratingId>/dispute",
    summary="Dispute a rating (the rated driver, once)",
    tags=["ratings"],
    responses=documented(Dispute, 401, 403, 404, 409, 422, status=201, description="Opened"),
)
def dispute(
    ratingId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[DisputeSubmission, Body()],
) -> Response[Dispute]:
    opened = _service().dispute(_caller(), ratingId, submission)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=opened)

"""Rating a delivery, a driver's feedback, responses and disputes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.errors import AlreadyRated, DomainError
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count
from flexfleet.ratings.config import RATING_DEADLINE
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

Service = Annotated[RatingService, Depends(composition.rating_service)]


@router.post(
    "/deliveries/<deliveryId>/rating",
    summary=f"Rate a delivered delivery (its customer, once, within {RATING_DEADLINE.days} days)",
    description=(
        "A second attempt answers 409 and writes nothing: with code already_rated when it "
        "repeats the stored rating (a retry, safe to treat as done), conflict otherwise. "
        "Stars and factors are whole numbers: 4 and 4.0 are the same rating."
    ),
    tags=["ratings"],
    responses=documented(Rating, 401, 403, 404, 409, 422, status=201, description="Rated"),
)
def rate_delivery(
    deliveryId: Annotated[Identifier, Path()],  # noqa: N803 - the path's name
    submission: Annotated[RatingSubmission, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Response[Rating]:
    try:
        rating = service.submit(caller, deliveryId, submission)
    except AlreadyRated:
        count(Metric.RATINGS_DUPLICATE)
        raise
    except DomainError:
        count(Metric.RATINGS_REFUSED)
        raise
    count(Metric.RATINGS_ACCEPTED)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=rating)


@router.get(
    "/drivers/<driverId>/ratings",
    summary="A driver's ratings, newest first (that driver, or ops); drivers never see who rated",
    tags=["ratings"],
    responses=documented(RatingPage, 401, 403, 404, 422),
)
def driver_ratings(
    driverId: Annotated[Identifier, Path()],  # noqa: N803
    service: Service,
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RatingPage:
    return service.page_of_driver(caller, driverId, limit, cursor)


@router.put(
    "/ratings/<ratingId>/response",
    summary="The rated driver's public response; the last edit wins",
    tags=["ratings"],
    responses=documented(RatingForDriver, 401, 403, 404, 422),
)
def respond(
    ratingId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[ResponseSubmission, Body()],
    service: Service,
    caller: CurrentCaller,
) -> RatingForDriver:
    return service.respond(caller, ratingId, submission)


@router.post(
    "/ratings/<ratingId>/dispute",
    summary="Dispute a rating (the rated driver, once)",
    tags=["ratings"],
    responses=documented(Dispute, 401, 403, 404, 409, 422, status=201, description="Opened"),
)
def dispute(
    ratingId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[DisputeSubmission, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Response[Dispute]:
    opened = service.dispute(caller, ratingId, submission)
    count(Metric.DISPUTES_OPENED)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=opened)

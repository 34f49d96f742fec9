"""Rating a delivery, a driver's feedback, responses and disputes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet.api.exception_handlers import error_responses
from flexfleet.api.resolver import http_router
from flexfleet.identity import Caller, caller_from_event
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
        "The same rating sent again answers 200 with the stored rating and writes nothing; "
        "a different second rating answers 409."
    ),
    tags=["ratings"],
    responses={
        201: {"description": "Rated", "content": {"application/json": {"model": Rating}}},
        200: {
            "description": "Already rated, identically",
            "content": {"application/json": {"model": Rating}},
        },
        **error_responses(400, 401, 403, 404, 409, 413, 415, 422),
    },
)
def rate_delivery(
    deliveryId: Annotated[str, Path()],  # noqa: N803 - the path's name
    submission: Annotated[RatingSubmission, Body()],
) -> Response[Rating]:
    rating, created = _service().submit(_caller(), deliveryId, submission)
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=rating,
    )


@router.get(
    "/drivers/<driverId>/ratings",
    summary="A driver's ratings, newest first (that driver, or ops); drivers never see who rated",
    tags=["ratings"],
    responses=error_responses(400, 401, 403, 404),
)
def driver_ratings(
    driverId: Annotated[str, Path()],  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> RatingPage:
    return _service().page_of_driver(_caller(), driverId, limit, cursor)


@router.put(
    "/ratings/<ratingId>/response",
    summary="The rated driver's public response; the last edit wins",
    tags=["ratings"],
    responses=error_responses(400, 401, 403, 404, 413, 415, 422),
)
def respond(
    ratingId: Annotated[str, Path()],  # noqa: N803
    submission: Annotated[ResponseSubmission, Body()],
) -> RatingForDriver:
    return _service().respond(_caller(), ratingId, submission)


@router.post(
    "/ratings/<ratingId>/dispute",
    summary="Dispute a rating (the rated driver, once)",
    tags=["ratings"],
    responses={
        201: {"description": "Opened", "content": {"application/json": {"model": Dispute}}},
        **error_responses(400, 401, 403, 404, 409, 413, 415, 422),
    },
)
def dispute(
    ratingId: Annotated[str, Path()],  # noqa: N803
    submission: Annotated[DisputeSubmission, Body()],
) -> Response[Dispute]:
    opened = _service().dispute(_caller(), ratingId, submission)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=opened)

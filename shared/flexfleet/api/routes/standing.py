"""A driver's standing, and the human review queue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.api.responses import created_or_found
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count
from flexfleet.standing import config
from flexfleet.standing.history import StandingHistory
from flexfleet.standing.review import ReviewDecision, ReviewDecisionRequest
from flexfleet.standing.service import StandingService
from flexfleet.standing.view import ReviewQueue, StandingOut

router = http_router()

Service = Annotated[StandingService, Depends(composition.standing_service)]


@router.get(
    "/drivers/<driverId>/standing",
    summary="Standing: tier, every component with its next threshold and gap, coaching figures",
    tags=["standing"],
    responses=documented(StandingOut, 401, 403, 404, 422),
)
def driver_standing(
    driverId: Annotated[Identifier, Path()],  # noqa: N803
    service: Service,
    caller: CurrentCaller,
) -> StandingOut:
    return service.of_driver(caller, driverId)


@router.get(
    "/drivers/<driverId>/standing/history",
    summary="Standing over time: a point at each change of the tier or a component, oldest first",
    description=(
        f"The last `days` days (default {config.HISTORY_DEFAULT_DAYS}, at most "
        f"{config.HISTORY_MAX_DAYS}); when a window holds more than "
        f"{config.HISTORY_MAX_POINTS} points, its newest {config.HISTORY_MAX_POINTS} and "
        "`truncated` true. A driver "
        "reads their own, ops anyone's."
    ),
    tags=["standing"],
    responses=documented(StandingHistory, 401, 403, 404, 422),
)
def driver_standing_history(
    driverId: Annotated[Identifier, Path()],  # noqa: N803
    service: Service,
    caller: CurrentCaller,
    days: Annotated[
        int, Query(ge=1, le=config.HISTORY_MAX_DAYS, description="how far back, in days")
    ] = config.HISTORY_DEFAULT_DAYS,
) -> StandingHistory:
    return service.history(caller, driverId, days)


@router.get(
    "/standing/review-queue",
    summary="Drivers flagged for human review (ops): At Risk, with evidence, warned 14+ days ago",
    tags=["standing"],
    responses=documented(ReviewQueue, 401, 403),
)
def review_queue(service: Service, caller: CurrentCaller) -> ReviewQueue:
    return service.review_queue(caller)


@router.post(
    "/drivers/<driverId>/review-decision",
    summary="Decide a review: keep, coach, deactivate or reinstate a driver (ops)",
    description=(
        "Stored with who decided, when and why; the driver sees it in their standing. Only such "
        "a decision deactivates a driver. The same decision and note again is a no-op (200). "
        "Nobody decides their own review (403 own_record)."
    ),
    tags=["standing"],
    responses={
        **documented(ReviewDecision, 401, 403, 404, 409, 422, status=201, description="Decided"),
        200: {
            "description": "Decided already, identically",
            "content": {"application/json": {"model": ReviewDecision}},
        },
    },
)
def review_decision(
    driverId: Annotated[Identifier, Path()],  # noqa: N803
    request: Annotated[ReviewDecisionRequest, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Response[ReviewDecision]:
    decision, created = service.decide(caller, driverId, request)
    if created:
        count(Metric.REVIEW_DECISIONS)
    return created_or_found(decision, created)

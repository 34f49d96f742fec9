"""A driver's standing, and the human review queue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.ids import Identifier
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
    "/standing/review-queue",
    summary="Drivers flagged for human review (ops): At Risk, with evidence, warned 14+ days ago",
    tags=["standing"],
    responses=documented(ReviewQueue, 401, 403),
)
def review_queue(service: Service, caller: CurrentCaller) -> ReviewQueue:
    return service.review_queue(caller)

"""A driver's standing, and the human review queue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.identity import caller_from_event
from flexfleet.ids import Identifier
from flexfleet.standing.service import ReviewQueue, StandingService
from flexfleet.standing.view import StandingOut

router = http_router()


def _service() -> StandingService:
    service: StandingService = router.context["standing"]
    return service


@router.get(
    "/drivers/<driverId>/standing",
    summary="Standing: tier, every component with its next threshold and gap, coaching figures",
    tags=["standing"],
    responses=documented(StandingOut, 401, 403, 404, 422),
)
def driver_standing(driverId: Annotated[Identifier, Path()]) -> StandingOut:  # noqa: N803
    return _service().of_driver(caller_from_event(router.current_event.raw_event), driverId)


@router.get(
    "/standing/review-queue",
    summary="Drivers flagged for human review (ops): At Risk, with evidence, warned 14+ days ago",
    tags=["standing"],
    responses=documented(ReviewQueue, 401, 403),
)
def review_queue() -> ReviewQueue:
    return _service().review_queue(caller_from_event(router.current_event.raw_event))

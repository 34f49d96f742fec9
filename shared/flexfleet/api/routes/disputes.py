"""Ops' side of disputes: the list, and the decision."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.identity import caller_from_event
from flexfleet.ids import Identifier
from flexfleet.ratings.model import DecisionSubmission, Dispute, DisputePage
from flexfleet.ratings.service import RatingService

router = http_router()


def _service() -> RatingService:
    service: RatingService = router.context["ratings"]
    return service


@router.get(
    "/disputes",
    summary="Disputes by status, oldest first (ops)",
    tags=["disputes"],
    responses=documented(DisputePage, 401, 403, 422),
)
def list_disputes(
    status: Annotated[Literal["open", "upheld", "rejected"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DisputePage:
    return _service().disputes(
        caller_from_event(router.current_event.raw_event), status, limit, cursor
    )


@router.post(
    "/disputes/<disputeId>/decision",
    summary="Uphold or reject an open dispute (ops); upheld excludes the rating from standing",
    tags=["disputes"],
    responses=documented(Dispute, 401, 403, 404, 409, 422),
)
def decide(
    disputeId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[DecisionSubmission, Body()],
) -> Dispute:
    return _service().decide(
        caller_from_event(router.current_event.raw_event), disputeId, submission
    )

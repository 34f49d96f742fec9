"""Ops' side of disputes: the list, and the decision."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count
from flexfleet.ratings.model import DecisionSubmission, Dispute, DisputePage
from flexfleet.ratings.service import RatingService

router = http_router()

Service = Annotated[RatingService, Depends(composition.rating_service)]


@router.get(
    "/disputes",
    summary="Disputes by status, oldest first (ops)",
    tags=["disputes"],
    responses=documented(DisputePage, 401, 403, 422),
)
def list_disputes(
    service: Service,
    caller: CurrentCaller,
    status: Annotated[Literal["open", "upheld", "rejected"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DisputePage:
    return service.disputes(caller, status, limit, cursor)


@router.post(
    "/disputes/<disputeId>/decision",
    summary="Uphold or reject an open dispute (ops); upheld excludes the rating from standing",
    description=(
        "Nobody decides a dispute over their own rating, as its driver or as its customer: "
        "403 with code own_record."
    ),
    tags=["disputes"],
    responses=documented(Dispute, 401, 403, 404, 409, 422),
)
def decide(
    disputeId: Annotated[Identifier, Path()],  # noqa: N803
    submission: Annotated[DecisionSubmission, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Dispute:
    decided = service.decide(caller, disputeId, submission)
    count(Metric.DISPUTES_DECIDED)
    return decided

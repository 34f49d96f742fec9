"""POST /deliveries and GET /deliveries/{deliveryId}."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.api.responses import created_or_found
from flexfleet.clock import CLOCK_SKEW
from flexfleet.deliveries.model import Delivery, DeliveryForDriver, DeliveryReport
from flexfleet.deliveries.service import DeliveryService
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count

router = http_router()

Service = Annotated[DeliveryService, Depends(composition.delivery_service)]


@router.post(
    "/deliveries",
    summary="Record a delivery (system or ops). The same body again is a no-op (200).",
    description=(
        f"deliveredAt may not be more than {CLOCK_SKEW.seconds // 60} minutes ahead of the "
        "server's clock. Nobody records a delivery they are the driver or the customer of "
        "(403 own_record)."
    ),
    tags=["deliveries"],
    responses={
        **documented(Delivery, 401, 403, 409, 422, status=201, description="Recorded"),
        200: {
            "description": "Already recorded, identically",
            "content": {"application/json": {"model": Delivery}},
        },
    },
)
def record_delivery(
    report: Annotated[DeliveryReport, Body()], service: Service, caller: CurrentCaller
) -> Response[Delivery]:
    delivery, created = service.record(caller, report)
    if created:
        count(Metric.DELIVERIES_RECORDED)
    return created_or_found(delivery, created)


@router.get(
    "/deliveries/<deliveryId>",
    summary="A delivery: for its customer, its driver, or ops",
    tags=["deliveries"],
    responses=documented(Delivery | DeliveryForDriver, 401, 403, 404, 422),
)
def get_delivery(
    deliveryId: Annotated[Identifier, Path()],  # noqa: N803 - the path's name
    service: Service,
    caller: CurrentCaller,
) -> Delivery | DeliveryForDriver:
    return service.get(caller, deliveryId)

"""POST /deliveries and GET /deliveries/{deliveryId}."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.deliveries.model import Delivery, DeliveryForDriver, DeliveryReport
from flexfleet.deliveries.service import DeliveryService
from flexfleet.identity import caller_from_event
from flexfleet.ids import Identifier

router = http_router()


def _service() -> DeliveryService:
    service: DeliveryService = router.context["deliveries"]
    return service


@router.post(
    "/deliveries",
    summary="Record a delivery (system or ops). The same body again is a no-op (200).",
    tags=["deliveries"],
    responses={
        **documented(Delivery, 401, 403, 409, 422, status=201, description="Recorded"),
        200: {
            "description": "Already recorded, identically",
            "content": {"application/json": {"model": Delivery}},
        },
    },
)
def record_delivery(report: Annotated[DeliveryReport, Body()]) -> Response[Delivery]:
    delivery, created = _service().record(caller_from_event(router.current_event.raw_event), report)
    return Response(
        status_code=201 if created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=delivery,
    )


@router.get(
    "/deliveries/<deliveryId>",
    summary="A delivery: for its customer, its driver, or ops",
    tags=["deliveries"],
    responses=documented(Delivery | DeliveryForDriver, 401, 403, 404, 422),
)
def get_delivery(
    deliveryId: Annotated[Identifier, Path()],  # noqa: N803 - the path's name
) -> Delivery | DeliveryForDriver:
    return _service().get(caller_from_event(router.current_event.raw_event), deliveryId)

"""Retail orders: placing, reading, listing, and cancel, pickup and delivery; a driver's
assignments."""

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
from flexfleet.geo import Point
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count
from flexfleet.retail.model import (
    Assignments,
    DeliveryOutcome,
    Order,
    OrderForCustomer,
    OrderForDriver,
    OrderPage,
    OrderRequest,
    Pickup,
    Status,
)
from flexfleet.retail.service import OrderService

router = http_router()

Service = Annotated[OrderService, Depends(composition.order_service)]
OrderId = Annotated[Identifier, Path()]


@router.post(
    "/retail/orders",
    summary="Place an order (an onboarded retailer). The same body again is a no-op (200).",
    description=(
        "Refused when the drop-off is outside the mall's service radius, deliverBy is not after "
        "readyAt or more than a day after it, readyAt is in the past, the tip is over $500, or "
        "there are no packages; 409 when the id is a delivery's already. 403 "
        "retailer_not_onboarded until ops onboard the retailer."
    ),
    tags=["orders"],
    responses={
        **documented(Order, 401, 403, 409, 422, status=201, description="Placed"),
        200: {
            "description": "Placed already, identically",
            "content": {"application/json": {"model": Order}},
        },
    },
)
def place_order(
    request: Annotated[OrderRequest, Body()], service: Service, caller: CurrentCaller
) -> Response[Order]:
    order, created = service.place(caller, request)
    if created:
        count(Metric.ORDERS_PLACED)
    return created_or_found(order, created)


@router.get(
    "/retail/orders/<orderId>",
    summary="An order: its retailer and ops see it whole, its driver without the customer, its "
    "customer the status and ETA",
    description="Its retailer and ops also see why dispatch has not assigned it yet (unassigned: "
    "no_driver_in_reach, drivers_busy until a time, or past_deadline).",
    tags=["orders"],
    responses=documented(Order | OrderForDriver | OrderForCustomer, 401, 403, 404),
)
def get_order(
    orderId: OrderId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> Order | OrderForDriver | OrderForCustomer:
    return service.get(caller, orderId)


@router.get(
    "/retail/orders",
    summary="Orders, newest first: a retailer its own; ops a mall's (mallId required)",
    description="With a status, a page may hold fewer than limit orders; follow the cursor.",
    tags=["orders"],
    responses=documented(OrderPage, 401, 403),
)
def list_orders(
    service: Service,
    caller: CurrentCaller,
    status: Annotated[Status | None, Query()] = None,
    mallId: Annotated[Identifier | None, Query()] = None,  # noqa: N803 - the query's name
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrderPage:
    return service.page(caller, status, mallId, limit, cursor)


@router.post(
    "/retail/orders/<orderId>/cancel",
    summary="Cancel an order before pickup: its retailer or ops. After pickup it is 409.",
    tags=["orders"],
    responses=documented(Order, 401, 403, 404, 409),
)
def cancel_order(orderId: OrderId, service: Service, caller: CurrentCaller) -> Order:  # noqa: N803
    order = service.cancel(caller, orderId)
    count(Metric.ORDER_TRANSITIONS)
    return order


@router.post(
    "/retail/orders/<orderId>/pickup",
    summary="Pick the order up at the store (its assigned driver, at the mall)",
    tags=["orders"],
    responses=documented(OrderForDriver, 401, 403, 404, 409, 422),
)
def pickup_order(
    orderId: OrderId,  # noqa: N803
    where: Annotated[Pickup, Body()],
    service: Service,
    caller: CurrentCaller,
) -> OrderForDriver:
    order = service.pickup(caller, orderId, Point(lat=where.lat, lng=where.lng))
    count(Metric.ORDER_TRANSITIONS)
    return order


@router.post(
    "/retail/orders/<orderId>/delivery",
    summary="Deliver the order, or report it undeliverable (its assigned driver)",
    description=(
        "Records the delivery (deliveryId = orderId, source retail) for the customer to rate "
        "through POST /deliveries/{orderId}/rating. A delivered order's tip goes to the driver."
    ),
    tags=["orders"],
    responses=documented(OrderForDriver, 401, 403, 404, 409, 422),
)
def deliver_order(
    orderId: OrderId,  # noqa: N803
    outcome: Annotated[DeliveryOutcome, Body()],
    service: Service,
    caller: CurrentCaller,
) -> OrderForDriver:
    order = service.deliver(caller, orderId, outcome)
    count(Metric.ORDER_TRANSITIONS)
    return order


@router.get(
    "/drivers/<driverId>/assignments",
    summary="The orders assigned to this driver now, with the store and the drop-off (the driver)",
    tags=["orders"],
    responses=documented(Assignments, 401, 403, 404),
)
def assignments(
    driverId: Annotated[Identifier, Path()],
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> Assignments:
    return service.assignments(caller, driverId)

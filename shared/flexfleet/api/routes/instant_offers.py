"""Instant offers: a driver's availability and open offers, accept and decline, and an order's
offers for ops."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from flexfleet import composition
from flexfleet.api.caller import CurrentCaller
from flexfleet.api.exception_handlers import documented
from flexfleet.api.resolver import http_router
from flexfleet.ids import Identifier
from flexfleet.instant_offers import config
from flexfleet.instant_offers.model import (
    Availability,
    AvailabilityRequest,
    InstantOffer,
    InstantOfferList,
    OfferId,
    OrderOffers,
)
from flexfleet.instant_offers.service import InstantOffers
from flexfleet.metrics import Metric, count

router = http_router()

Service = Annotated[InstantOffers, Depends(composition.instant_offers)]
DriverId = Annotated[Identifier, Path()]
OfferIdPath = Annotated[OfferId, Path(description="the order's id and the offer's round: ord-1:2")]


@router.put(
    "/drivers/<driverId>/availability",
    summary="Whether this driver takes instant offers now, and where they are (the driver)",
    description=(
        "Online counts for "
        f"{int(config.AVAILABILITY_FRESH_FOR.total_seconds() // 60)} minutes from the last PUT: "
        "the driver app sends its position again while online."
    ),
    tags=["instant offers"],
    responses=documented(Availability, 401, 403, 404, 422),
)
def set_availability(
    driverId: DriverId,  # noqa: N803
    request: Annotated[AvailabilityRequest, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Availability:
    return service.set_availability(caller, driverId, request)


@router.get(
    "/drivers/<driverId>/instant-offers",
    summary="This driver's open instant offers, each with its pay up front (the driver)",
    tags=["instant offers"],
    responses=documented(InstantOfferList, 401, 403, 404),
)
def pending_offers(
    driverId: DriverId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> InstantOfferList:
    return service.pending(caller, driverId)


@router.post(
    "/instant-offers/<offerId>/accept",
    summary="Accept an instant offer: its order is assigned to the driver (the offered driver)",
    description=(
        "One transaction moves the offer to accepted and the order from placed to assigned. "
        "Accepting again answers the accepted offer (200). 409 offer_expired past the window, "
        "offer_closed once declined or withdrawn, order_taken when the order was assigned or "
        "cancelled elsewhere, driver_busy when the driver holds an order already or is checked "
        "in on a block that has not ended."
    ),
    tags=["instant offers"],
    responses=documented(InstantOffer, 401, 403, 404, 409),
)
def accept_offer(offerId: OfferIdPath, service: Service, caller: CurrentCaller) -> InstantOffer:  # noqa: N803
    offer = service.accept(caller, offerId)
    count(Metric.INSTANT_OFFERS_ACCEPTED)
    return offer


@router.post(
    "/instant-offers/<offerId>/decline",
    summary="Decline an instant offer: its order goes to the next driver (the offered driver)",
    description="Declining again is a no-op (200). 409 offer_expired past the window.",
    tags=["instant offers"],
    responses=documented(InstantOffer, 401, 403, 404, 409),
)
def decline_offer(offerId: OfferIdPath, service: Service, caller: CurrentCaller) -> InstantOffer:  # noqa: N803
    offer = service.decline(caller, offerId)
    count(Metric.INSTANT_OFFERS_DECLINED)
    return offer


@router.get(
    "/retail/orders/<orderId>/instant-offers",
    summary="Every instant offer of an order, in the order made, with how each ended (ops)",
    tags=["instant offers"],
    responses=documented(OrderOffers, 401, 403, 404),
)
def order_offers(
    orderId: Annotated[Identifier, Path()],  # noqa: N803
    service: Service,
    caller: CurrentCaller,
) -> OrderOffers:
    return service.of_order(caller, orderId)

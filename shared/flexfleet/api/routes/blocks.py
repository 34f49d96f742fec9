"""Shift types, blocks and offers: publishing, offers by standing, accept, forfeit, check-in, a
driver's blocks and earnings."""

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
from flexfleet.api_model import UtcDatetime
from flexfleet.blocks import config
from flexfleet.blocks.model import (
    BlockOut,
    BlockRequest,
    BookingOut,
    CheckIn,
    DriverBlocks,
    DriverPreferences,
    Earnings,
    OfferList,
    Preferences,
    ShiftTypeList,
)
from flexfleet.blocks.service import BlockService
from flexfleet.errors import BlockFull
from flexfleet.ids import Identifier
from flexfleet.metrics import Metric, count

router = http_router()

Service = Annotated[BlockService, Depends(composition.block_service)]
BlockId = Annotated[Identifier, Path()]
DriverId = Annotated[Identifier, Path()]


@router.get(
    "/shift-types",
    summary="Shift types and their hourly rates (anyone signed in)",
    tags=["blocks"],
    responses=documented(ShiftTypeList, 401, 403),
)
def shift_types(service: Service, caller: CurrentCaller) -> ShiftTypeList:
    return service.shift_types(caller)


@router.post(
    "/blocks",
    summary="Publish a block (ops or system). The same body again is a no-op (200).",
    description=(
        f"A block lasts {config.MIN_BLOCK_LENGTH.seconds // 3600} to "
        f"{config.MAX_BLOCK_LENGTH.seconds // 3600} hours and is published "
        f"{config.MIN_LEAD_TIME.seconds // 3600} hours to {config.MAX_LEAD_TIME.days} days before "
        "it starts. The answer shows its pay up front and when each tier first sees it."
    ),
    tags=["blocks"],
    responses={
        **documented(BlockOut, 401, 403, 409, 422, status=201, description="Published"),
        200: {
            "description": "Already published, identically",
            "content": {"application/json": {"model": BlockOut}},
        },
    },
)
def publish_block(
    request: Annotated[BlockRequest, Body()], service: Service, caller: CurrentCaller
) -> Response[BlockOut | BookingOut]:
    block, created = service.publish(caller, request)
    if created:
        count(Metric.BLOCKS_PUBLISHED)
    return created_or_found(block, created)


@router.get(
    "/drivers/<driverId>/offers",
    summary="The blocks this driver may accept now, with pay: reserved offers first (the driver)",
    description="Only at the driver's preferred malls, and only blocks released to their tier.",
    tags=["blocks"],
    responses=documented(OfferList, 401, 403, 404),
)
def offers(driverId: DriverId, service: Service, caller: CurrentCaller) -> OfferList:  # noqa: N803
    return service.offers(caller, driverId)


@router.put(
    "/drivers/<driverId>/preferences",
    summary="The malls where this driver wants blocks (the driver)",
    tags=["blocks"],
    responses=documented(DriverPreferences, 401, 403, 404, 422),
)
def set_preferences(
    driverId: DriverId,  # noqa: N803
    preferences: Annotated[Preferences, Body()],
    service: Service,
    caller: CurrentCaller,
) -> DriverPreferences:
    return service.set_preferences(caller, driverId, preferences)


@router.get(
    "/drivers/<driverId>/preferences",
    summary="The malls where this driver wants blocks (the driver)",
    tags=["blocks"],
    responses=documented(DriverPreferences, 401, 403, 404),
)
def get_preferences(
    driverId: DriverId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> DriverPreferences:
    return service.preferences(caller, driverId)


@router.post(
    "/blocks/<blockId>/accept",
    summary="Take a place on a block (a driver). Accepting a block held already is a no-op.",
    description=(
        "409 block_full when every place is taken, overlap when the driver holds a block at "
        "that time. A block not yet released to the driver's tier is 404."
    ),
    tags=["blocks"],
    responses={
        **documented(BookingOut, 401, 403, 404, 409, status=201, description="Accepted"),
        200: {
            "description": "Held already",
            "content": {"application/json": {"model": BookingOut}},
        },
    },
)
def accept_block(
    blockId: BlockId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> Response[BlockOut | BookingOut]:
    try:
        booking, created = service.accept(caller, blockId)
    except BlockFull:
        count(Metric.BLOCKS_FULL)
        raise
    if created:
        count(Metric.BLOCKS_ACCEPTED)
    return created_or_found(booking, created)


@router.post(
    "/blocks/<blockId>/forfeit",
    summary="Give a held block back (the driver who holds it)",
    description=(
        f"Free until {config.FORFEIT_NOTICE.seconds // 60} minutes before the start; later it is "
        "a late forfeit, which counts against reliability. After the start it is 409."
    ),
    tags=["blocks"],
    responses=documented(BookingOut, 401, 403, 404, 409),
)
def forfeit_block(
    blockId: BlockId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> BookingOut:
    booking = service.forfeit(caller, blockId)
    count(Metric.BLOCKS_FORFEITED)
    return booking


@router.post(
    "/blocks/<blockId>/check-in",
    summary="Check in at the mall for a held block (the driver who holds it)",
    description=(
        f"Within {config.GEOFENCE_KM} km of the mall, from "
        f"{config.CHECK_IN_OPENS.seconds // 60} minutes before the start to "
        f"{config.CHECK_IN_CLOSES.seconds // 60} minutes after it."
    ),
    tags=["blocks"],
    responses=documented(BookingOut, 401, 403, 404, 409, 422),
)
def check_in(
    blockId: BlockId,  # noqa: N803
    where: Annotated[CheckIn, Body()],
    service: Service,
    caller: CurrentCaller,
) -> BookingOut:
    return service.check_in(caller, blockId, where)


@router.get(
    "/drivers/<driverId>/blocks",
    summary="A driver's upcoming, active and past blocks: the driver or ops",
    tags=["blocks"],
    responses=documented(DriverBlocks, 401, 403, 404),
)
def driver_blocks(
    driverId: DriverId,
    service: Service,
    caller: CurrentCaller,  # noqa: N803
) -> DriverBlocks:
    return service.driver_blocks(caller, driverId)


@router.get(
    "/drivers/<driverId>/earnings",
    summary="Blocks worked, hours, base pay, surge, tips and total: the driver or ops",
    description=f"Blocks that started in [from, to), at most {config.MAX_EARNINGS_SPAN.days} days.",
    tags=["blocks"],
    responses=documented(Earnings, 401, 403, 404, 422),
)
def earnings(
    driverId: DriverId,  # noqa: N803
    period_from: Annotated[UtcDatetime, Query(alias="from")],
    period_to: Annotated[UtcDatetime, Query(alias="to")],
    service: Service,
    caller: CurrentCaller,
) -> Earnings:
    return service.earnings(caller, driverId, period_from, period_to)

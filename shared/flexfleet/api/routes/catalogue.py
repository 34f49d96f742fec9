"""The catalogue: GET /malls, PUT /malls/{mallId}, and PUT and GET /retailers/{retailerId}."""

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
from flexfleet.ids import Identifier
from flexfleet.malls.model import Mall, MallDetails, MallList, Retailer, RetailerDetails
from flexfleet.malls.service import CatalogueService

router = http_router()

Service = Annotated[CatalogueService, Depends(composition.catalogue_service)]


@router.get(
    "/malls",
    summary="The malls of the retail pilot (anyone signed in)",
    tags=["catalogue"],
    responses=documented(MallList, 401, 403),
)
def list_malls(service: Service, caller: CurrentCaller) -> MallList:
    return MallList(malls=service.malls(caller))


@router.put(
    "/malls/<mallId>",
    summary="Add or change a mall (ops)",
    tags=["catalogue"],
    responses={
        **documented(Mall, 401, 403, 404, 422, status=201, description="Added"),
        200: {"description": "Changed", "content": {"application/json": {"model": Mall}}},
    },
)
def put_mall(
    mallId: Annotated[Identifier, Path()],  # noqa: N803 - the path's name
    details: Annotated[MallDetails, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Response[Mall | Retailer]:
    mall, created = service.put_mall(caller, mallId, details)
    return created_or_found(mall, created)


@router.put(
    "/retailers/<retailerId>",
    summary="Onboard a store in a mall, or change it (ops). The same body again is a no-op.",
    description="retailerId is the sub of the retailer's users.",
    tags=["catalogue"],
    responses={
        **documented(Retailer, 401, 403, 404, 422, status=201, description="Onboarded"),
        200: {
            "description": "Changed, or unchanged",
            "content": {"application/json": {"model": Retailer}},
        },
    },
)
def onboard_retailer(
    retailerId: Annotated[Identifier, Path()],  # noqa: N803
    details: Annotated[RetailerDetails, Body()],
    service: Service,
    caller: CurrentCaller,
) -> Response[Mall | Retailer]:
    retailer, created = service.onboard(caller, retailerId, details)
    return created_or_found(retailer, created)


@router.get(
    "/retailers/<retailerId>",
    summary="A retailer: for itself, or ops",
    tags=["catalogue"],
    responses=documented(Retailer, 401, 403, 404),
)
def get_retailer(
    retailerId: Annotated[Identifier, Path()],  # noqa: N803
    service: Service,
    caller: CurrentCaller,
) -> Retailer:
    return service.retailer(caller, retailerId)

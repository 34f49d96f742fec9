"""The one place where services are built from settings and clients: every handler gets its
services here, and routes receive them through Depends() on these providers.

A provider imports what it builds when it is first called, so that each function loads only the
features it serves: the standing API never loads the ratings repositories. Settings
(flexfleet.settings) are read then, not at import. Providers of services are cached for the life
of the execution environment; tests override them (`app.dependency_overrides`) or call them
under moto.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flexfleet.aws_clients import dynamodb_client, events_client, management_api_client
from flexfleet.clock import Clock, OffsetClock, utc_now
from flexfleet.settings import (
    BlocksSettings,
    CatalogueSettings,
    ConnectionsSettings,
    DeliveriesSettings,
    DispatchSettings,
    FunctionSettings,
    InstantOffersSettings,
    NotifierSettings,
    OrdersSettings,
    RatingsSettings,
    StandingHistorySettings,
    StandingReadSettings,
    StandingSettings,
    TokenSettings,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from flexfleet.blocks.jobs import BlockJobs
    from flexfleet.blocks.repository import BlockRepository
    from flexfleet.blocks.service import BlockService
    from flexfleet.deliveries.service import DeliveryService
    from flexfleet.dispatch.service import DispatchService
    from flexfleet.instant_offers.service import InstantOffers
    from flexfleet.malls.repository import MallRepository
    from flexfleet.malls.service import CatalogueService
    from flexfleet.ratings.service import RatingService
    from flexfleet.realtime.management_api import ManagementApi
    from flexfleet.realtime.notifier import Notifier
    from flexfleet.realtime.service import Connections
    from flexfleet.realtime.tokens import TokenVerifier
    from flexfleet.retail.repository import OrderRepository
    from flexfleet.retail.service import OrderService
    from flexfleet.standing.daily_sweep import DailySweep
    from flexfleet.standing.events import StandingEvents
    from flexfleet.standing.projector import StandingProjector
    from flexfleet.standing.service import HistoryWriter, StandingService
    from flexfleet.standing.sources import StandingSources


@cache
def dynamodb() -> DynamoDBClient:
    return dynamodb_client()


@cache
def clock() -> Clock:
    """The time every service reads: the real time in AWS, the runtime's movable clock locally."""
    moved = FunctionSettings.of_this_function().local_runtime_clock_file
    return OffsetClock(Path(moved)) if moved else utc_now


@cache
def delivery_service() -> DeliveryService:
    from flexfleet.deliveries.repository import DeliveryRepository
    from flexfleet.deliveries.service import DeliveryService

    settings = DeliveriesSettings.of_this_function()
    return DeliveryService(DeliveryRepository(dynamodb(), settings.deliveries_table_name), clock())


@cache
def rating_service() -> RatingService:
    from flexfleet.ratings.repository import RatingRepository
    from flexfleet.ratings.service import RatingService

    settings = RatingsSettings.of_this_function()
    return RatingService(
        RatingRepository(dynamodb(), settings.ratings_table_name, settings.deliveries_table_name),
        clock(),
    )


@cache
def standing_service() -> StandingService:
    from flexfleet.standing.repository import HistoryRepository, StandingRepository
    from flexfleet.standing.service import StandingService

    settings = StandingReadSettings.of_this_function()
    return StandingService(
        StandingRepository(dynamodb(), settings.standing_table_name),
        clock(),
        HistoryRepository(dynamodb(), settings.standing_history_table_name),
    )


def history_writer() -> HistoryWriter:
    """A new writer per invocation: it counts the points this invocation wrote."""
    from flexfleet.standing.repository import HistoryRepository
    from flexfleet.standing.service import HistoryWriter

    settings = StandingHistorySettings.of_this_function()
    return HistoryWriter(
        HistoryRepository(dynamodb(), settings.standing_history_table_name), clock()
    )


@cache
def standing_settings() -> StandingSettings:
    return StandingSettings.of_this_function()


@cache
def standing_sources() -> StandingSources:
    from flexfleet.standing.sources import StandingSources

    settings = standing_settings()
    return StandingSources(
        dynamodb(),
        settings.ratings_table_name,
        settings.deliveries_table_name,
        settings.bookings_table_name,
    )


@cache
def standing_events() -> StandingEvents:
    from flexfleet.standing.events import StandingEvents

    # The EventBridge client is made on the first tier change, not at every cold start.
    return StandingEvents(cache(events_client), standing_settings().event_bus_name)


def standing_projector() -> StandingProjector:
    """A new projector per invocation: its outcome counts what this invocation did."""
    from flexfleet.standing.projector import StandingProjector
    from flexfleet.standing.repository import StandingRepository

    settings = standing_settings()
    return StandingProjector(
        standing_sources(),
        StandingRepository(dynamodb(), settings.standing_table_name),
        standing_events(),
        clock(),
    )


def daily_sweep() -> DailySweep:
    from flexfleet.standing.daily_sweep import DailySweep
    from flexfleet.standing.repository import StandingRepository

    settings = standing_settings()
    return DailySweep(
        standing_sources(),
        StandingRepository(dynamodb(), settings.standing_table_name),
        standing_projector(),
        clock(),
    )


@cache
def malls() -> MallRepository:
    from flexfleet.malls.repository import MallRepository

    return MallRepository(dynamodb(), CatalogueSettings.of_this_function().malls_table_name)


@cache
def catalogue_service() -> CatalogueService:
    from flexfleet.malls.repository import RetailerRepository
    from flexfleet.malls.service import CatalogueService

    settings = CatalogueSettings.of_this_function()
    return CatalogueService(
        malls(), RetailerRepository(dynamodb(), settings.retailers_table_name), clock()
    )


@cache
def blocks() -> BlockRepository:
    from flexfleet.blocks.repository import BlockRepository, BlockTables

    settings = BlocksSettings.of_this_function()
    tables = BlockTables(
        blocks=settings.blocks_table_name,
        bookings=settings.bookings_table_name,
        reserved_offers=settings.reserved_offers_table_name,
        drivers=settings.drivers_table_name,
        standing=settings.standing_table_name,
    )
    return BlockRepository(dynamodb(), tables)


@cache
def block_service() -> BlockService:
    from flexfleet.blocks.service import BlockService
    from flexfleet.standing.review import driver_standing

    return BlockService(blocks(), malls(), driver_standing, clock())


@cache
def block_jobs() -> BlockJobs:
    from flexfleet.blocks.jobs import BlockJobs
    from flexfleet.standing.review import driver_standing

    return BlockJobs(blocks(), malls(), driver_standing, clock())


@cache
def orders() -> OrderRepository:
    from flexfleet.retail.repository import OrderRepository

    settings = OrdersSettings.of_this_function()
    return OrderRepository(
        dynamodb(),
        settings.orders_table_name,
        settings.deliveries_table_name,
        settings.bookings_table_name,
    )


@cache
def order_service() -> OrderService:
    from flexfleet.retail.service import OrderService

    return OrderService(orders(), catalogue_service(), clock())


@cache
def dispatch_service() -> DispatchService:
    # The engine brings numpy and scipy (the solver layer): only this provider imports it.
    from flexfleet.dispatch.engine import decide
    from flexfleet.dispatch.repository import DispatchRepository, MallLeases
    from flexfleet.dispatch.service import DispatchService
    from flexfleet.standing.review import driver_standing

    settings = DispatchSettings.of_this_function()
    store = DispatchRepository(
        dynamodb(), orders(), settings.bookings_table_name, settings.standing_table_name
    )
    leases = MallLeases(dynamodb(), settings.dispatch_leases_table_name)
    # Orders its drivers on blocks can't serve go out as instant offers.
    return DispatchService(
        store,
        leases,
        malls(),
        driver_standing,
        decide,
        clock=clock(),
        instant_offers=instant_offers(),
    )


@cache
def instant_offers() -> InstantOffers:
    from flexfleet.instant_offers.repository import InstantOfferRepository
    from flexfleet.instant_offers.service import InstantOffers
    from flexfleet.standing.review import driver_standing

    settings = InstantOffersSettings.of_this_function()
    store = InstantOfferRepository(
        dynamodb(),
        settings.availability_table_name,
        settings.instant_offers_table_name,
        orders(),
        settings.standing_table_name,
        settings.bookings_table_name,
    )
    return InstantOffers(store, malls(), driver_standing, clock())


@cache
def token_verifier() -> TokenVerifier:
    """The WebSocket authorizer's check, with the issuer's JWKS fetched once and kept for the
    life of the execution environment (flexfleet.realtime.config.JWKS_LIFESPAN)."""
    from jwt import PyJWKClient

    from flexfleet.realtime import config
    from flexfleet.realtime.tokens import TokenVerifier

    settings = TokenSettings.of_this_function()
    keys = PyJWKClient(
        settings.jwks_url,
        cache_keys=True,
        lifespan=config.JWKS_LIFESPAN.total_seconds(),
        timeout=config.JWKS_FETCH_TIMEOUT.total_seconds(),
        cooldown_duration=config.JWKS_REFETCH_COOLDOWN.total_seconds(),
    )
    return TokenVerifier(keys, settings.token_issuer, settings.token_audience, clock())


@cache
def management_api() -> ManagementApi:
    from flexfleet.realtime.management_api import ManagementApi, endpoint_url

    url = endpoint_url(ConnectionsSettings.of_this_function().websocket_endpoint)
    # The client is made on the first post, not at every cold start.
    return ManagementApi(cache(lambda: management_api_client(url)))


@cache
def connections() -> Connections:
    from flexfleet.realtime.repository import ConnectionRepository
    from flexfleet.realtime.service import Connections

    settings = ConnectionsSettings.of_this_function()
    return Connections(
        ConnectionRepository(dynamodb(), settings.connections_table_name, clock()),
        management_api(),
        clock(),
    )


def notifier() -> Notifier:
    """A new notifier per invocation: its outcome counts what this invocation pushed, and it
    reads each user's connections once."""
    from flexfleet.realtime.notifier import Notifier
    from flexfleet.realtime.repository import ConnectionRepository
    from flexfleet.realtime.sources import NotifierSources
    from flexfleet.standing.review import driver_standing

    settings = NotifierSettings.of_this_function()
    tables = {
        settings.ratings_table_name: "ratings",
        settings.standing_history_table_name: "standingHistory",
        settings.blocks_table_name: "blocks",
        settings.reserved_offers_table_name: "reservedOffers",
        settings.instant_offers_table_name: "instantOffers",
        settings.orders_table_name: "orders",
    }
    sources = NotifierSources(
        dynamodb(),
        settings.drivers_table_name,
        settings.standing_table_name,
        settings.blocks_table_name,
    )
    return Notifier(
        tables,
        sources,
        ConnectionRepository(dynamodb(), settings.connections_table_name, clock()),
        management_api(),
        driver_standing,
        clock(),
    )

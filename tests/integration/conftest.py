"""Integration tests run against moto in-process, with the tables template.yaml declares."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from flexfleet.blocks.jobs import BlockJobs
from flexfleet.blocks.repository import BlockRepository, BlockTables
from flexfleet.blocks.service import BlockService
from flexfleet.clock import Clock
from flexfleet.deliveries.repository import DeliveryRepository
from flexfleet.deliveries.service import DeliveryService
from flexfleet.dispatch.engine import decide
from flexfleet.dispatch.repository import DispatchRepository, MallLeases
from flexfleet.dispatch.service import DispatchService
from flexfleet.malls.repository import MallRepository, RetailerRepository
from flexfleet.malls.service import CatalogueService
from flexfleet.ratings.repository import RatingRepository
from flexfleet.ratings.service import RatingService
from flexfleet.retail.repository import OrderRepository
from flexfleet.retail.service import OrderService
from flexfleet.standing.daily_sweep import DailySweep
from flexfleet.standing.events import StandingEvents
from flexfleet.standing.projector import StandingProjector
from flexfleet.standing.repository import StandingRepository
from flexfleet.standing.review import driver_standing
from flexfleet.standing.service import StandingService
from flexfleet.standing.sources import StandingSources
from infra.local_runtime.stack import Stack
from tests.factories import NOW


@pytest.fixture
def dynamodb(aws: Stack) -> Any:
    return boto3.resource("dynamodb")


class Requests:
    """Counts the DynamoDB operations a client sends, through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        self.counts.clear()


class World:
    """The services over moto, sharing one counted DynamoDB client and a settable clock."""

    def __init__(self, stack: Stack) -> None:
        self.now = NOW
        self.client = boto3.client("dynamodb")
        self.requests = Requests(self.client)
        clock: Clock = lambda: self.now  # noqa: E731
        self.deliveries_repository = DeliveryRepository(
            self.client, stack.table_name("DeliveriesTable")
        )
        self.ratings_repository = RatingRepository(
            self.client, stack.table_name("RatingsTable"), stack.table_name("DeliveriesTable")
        )
        self.standings = StandingRepository(self.client, stack.table_name("StandingTable"))
        self.deliveries = DeliveryService(self.deliveries_repository, clock)
        self.ratings = RatingService(self.ratings_repository, clock)
        self.ratings_table = stack.table_name("RatingsTable")
        self.deliveries_table = stack.table_name("DeliveriesTable")
        self.bookings_table = stack.table_name("BookingsTable")
        self.sources = StandingSources(
            self.client, self.ratings_table, self.deliveries_table, self.bookings_table
        )
        events = boto3.client("events")
        self.projector = StandingProjector(
            self.sources, self.standings, StandingEvents(lambda: events, "default"), clock
        )
        self.daily_sweep = DailySweep(self.sources, self.standings, self.projector, clock)
        self.standing = StandingService(self.standings, clock)
        # Retail shipping: the catalogue, blocks, orders and dispatch.
        self.malls = MallRepository(self.client, stack.table_name("MallsTable"))
        self.catalogue = CatalogueService(
            self.malls, RetailerRepository(self.client, stack.table_name("RetailersTable")), clock
        )
        self.block_repository = BlockRepository(
            self.client,
            BlockTables(
                blocks=stack.table_name("BlocksTable"),
                bookings=stack.table_name("BookingsTable"),
                reserved_offers=stack.table_name("ReservedOffersTable"),
                drivers=stack.table_name("DriversTable"),
                standing=stack.table_name("StandingTable"),
            ),
        )
        self.blocks = BlockService(self.block_repository, self.malls, driver_standing, clock)
        self.block_jobs = BlockJobs(self.block_repository, self.malls, driver_standing, clock)
        self.order_repository = OrderRepository(
            self.client,
            stack.table_name("OrdersTable"),
            self.deliveries_table,
            stack.table_name("BookingsTable"),
        )
        self.orders = OrderService(self.order_repository, self.catalogue, clock)
        self.dispatch_repository = DispatchRepository(
            self.client,
            self.order_repository,
            stack.table_name("BookingsTable"),
            stack.table_name("StandingTable"),
        )
        self.leases = MallLeases(self.client, stack.table_name("DispatchLeasesTable"))
        self.dispatch = DispatchService(
            self.dispatch_repository, self.leases, self.malls, driver_standing, decide, clock
        )


@pytest.fixture
def world(aws: Stack) -> World:
    return World(aws)

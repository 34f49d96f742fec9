"""How functions build their services from settings: one place, so each handler stays thin."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flexfleet.deliveries.repository import DeliveryRepository
from flexfleet.ratings.repository import RatingRepository
from flexfleet.ratings.service import RatingService
from flexfleet.settings import FunctionSettings
from flexfleet.standing.events import StandingEvents
from flexfleet.standing.recompute import StandingRecompute
from flexfleet.standing.repository import StandingRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient


class TableNames(FunctionSettings):
    deliveries_table_name: str
    ratings_table_name: str


class StandingSettings(TableNames):
    standing_table_name: str
    event_bus_name: str


def recompute_standing(
    settings: StandingSettings, client: DynamoDBClient, events: Callable[[], EventBridgeClient]
) -> StandingRecompute:
    return StandingRecompute(
        RatingRepository(client, settings.ratings_table_name, settings.deliveries_table_name),
        DeliveryRepository(client, settings.deliveries_table_name),
        StandingRepository(client, settings.standing_table_name),
        StandingEvents(events, settings.event_bus_name),
    )


def rating_service(tables: TableNames, client: DynamoDBClient) -> RatingService:
    """The ratings service: the ratings API and the disputes API both serve it."""
    return RatingService(
        RatingRepository(client, tables.ratings_table_name, tables.deliveries_table_name)
    )

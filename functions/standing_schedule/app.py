"""Daily standing recalculation; on demand, {"driverIds": [...]} recomputes those drivers."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.aws_clients import dynamodb_client, events_client
from flexfleet.deliveries.repository import DeliveryRepository
from flexfleet.ratings.repository import RatingRepository
from flexfleet.standing.recalculation import StandingRecalculation
from flexfleet.standing.repository import StandingRepository
from flexfleet.wiring import StandingSettings, recompute_standing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient

logger = Logger()
metrics = Metrics()


@cache
def dependencies() -> tuple[StandingSettings, DynamoDBClient, Callable[[], EventBridgeClient]]:
    # The EventBridge client is made on the first tier change, not at every cold start.
    return StandingSettings.from_environment(os.environ), dynamodb_client(), cache(events_client)


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings, client, events = dependencies()
    recalculation = StandingRecalculation(
        RatingRepository(client, settings.ratings_table_name, settings.deliveries_table_name),
        DeliveryRepository(client, settings.deliveries_table_name),
        StandingRepository(client, settings.standing_table_name),
        recompute_standing(settings, client, events),
    )
    requested = event.get("driverIds")
    drivers, outcome = recalculation.run(
        set(map(str, requested)) if isinstance(requested, list) else None
    )
    metrics.add_metric(name="DriversRecalculated", unit=MetricUnit.Count, value=len(drivers))
    summary = {
        "drivers": len(drivers),
        "written": outcome.written,
        "refused": outcome.refused,
        "tierChanges": len(outcome.tier_changes),
    }
    logger.info("standing recalculated", extra=summary)
    return summary

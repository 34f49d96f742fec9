"""The ratings and deliveries streams: recompute the standing of every driver a batch touches."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.aws_clients import dynamodb_client, events_client
from flexfleet.standing.stream import DeliveryStreamRecord, RatingStreamRecord, standing_batch
from flexfleet.wiring import StandingSettings, recompute_standing

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient

logger = Logger()
# Our own record models: BatchProcessor's annotation names only Powertools' parser models.
processors = {
    "ratings": BatchProcessor(EventType.DynamoDBStreams, model=RatingStreamRecord),  # type: ignore[arg-type]
    "deliveries": BatchProcessor(EventType.DynamoDBStreams, model=DeliveryStreamRecord),  # type: ignore[arg-type]
}


@cache
def dependencies() -> tuple[StandingSettings, DynamoDBClient, Callable[[], EventBridgeClient]]:
    # The EventBridge client is made on the first tier change, not at every cold start.
    return StandingSettings.from_environment(os.environ), dynamodb_client(), cache(events_client)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    settings, client, events = dependencies()
    recompute = recompute_standing(settings, client, events)
    source, batch = standing_batch(event["Records"], settings, recompute)
    response = process_partial_response(
        event=event,
        record_handler=batch.handle_record,
        processor=processors[source],
        context=context,
    )
    logger.info("standing recomputed", extra={"source": source, "outcome": vars(recompute.outcome)})
    return response

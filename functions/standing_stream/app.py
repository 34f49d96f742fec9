"""The ratings table's stream: recompute the standing of every driver a batch touches."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet.aws_clients import dynamodb_client
from flexfleet.ratings import RatingRepository
from flexfleet.settings import FunctionSettings
from flexfleet.standing.rating_count import StandingRecompute, StandingRepository
from flexfleet.stream_records import RatingStreamRecord

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, model=RatingStreamRecord)


class Settings(FunctionSettings):
    ratings_table_name: str
    standing_table_name: str


@cache
def repositories() -> tuple[RatingRepository, StandingRepository]:
    settings = Settings.from_environment(os.environ)
    dynamodb = dynamodb_client()
    return (
        RatingRepository(dynamodb, settings.ratings_table_name),
        StandingRepository(dynamodb, settings.standing_table_name),
    )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    recompute = StandingRecompute(*repositories())

    def record_handler(record: RatingStreamRecord) -> None:
        recompute.recompute_standing(record.driver_id)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )

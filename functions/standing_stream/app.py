"""The ratings, deliveries and bookings streams: recompute the standing of every driver a batch
touches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.dynamodb.streams import record_processor
from flexfleet.metrics import Metric, count
from flexfleet.standing.stream import standing_batch

logger = Logger()
metrics = Metrics()
# Traced: a batch's DynamoDB and EventBridge calls show in X-Ray. Worth its cold start (see
# README, Tracing) where no user waits; patching botocore alone keeps that cost down.
tracer = Tracer(patch_modules=["botocore"])

# A poison record is data to repair: it goes to the failure queue, not to the Errors alarm.
processor = record_processor()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    tables, projector = composition.standing_settings(), composition.standing_projector()
    source, batch = standing_batch(
        event["Records"],
        tables.ratings_table_name,
        tables.deliveries_table_name,
        projector.ratings_changed,
        projector.deliveries_changed,
        tables.bookings_table_name,
        projector.bookings_changed,
    )
    response = process_partial_response(
        event=event, record_handler=batch.handle_record, processor=processor, context=context
    )
    outcome = projector.outcome
    count(Metric.COMPONENTS_WRITTEN, outcome.written)
    count(Metric.COMPONENTS_STALE, outcome.stale)
    count(Metric.TIER_CHANGES, len(outcome.tier_changes))
    count(Metric.BATCH_ITEM_FAILURES, len(response.get("batchItemFailures", [])))
    logger.info("standing recomputed", extra={"source": source, "outcome": vars(outcome)})
    return response

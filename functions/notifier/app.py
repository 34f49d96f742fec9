"""Live updates: the ratings, standing history, blocks, reserved offers, instant offers and
orders streams, each change pushed to the WebSocket connections of whoever may see it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.dynamodb.streams import record_processor
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])

# A record whose pushes fail (a throttle, a 5xx of the management API) fails alone and is
# retried; after its retries it is recorded in the failure queue, not raised as a function error.
processor = record_processor()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    notifier = composition.notifier()
    response = process_partial_response(
        event=event, record_handler=notifier.handle_record, processor=processor, context=context
    )
    outcome = notifier.outcome
    count(Metric.PUSHES_SENT, outcome.pushed)
    count(Metric.CONNECTIONS_GONE, outcome.gone)
    count(Metric.BATCH_ITEM_FAILURES, len(response.get("batchItemFailures", [])))
    logger.info("pushed", extra={"records": len(event["Records"]), "outcome": vars(outcome)})
    return response

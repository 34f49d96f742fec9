"""The standing stream's second reader: a point of the standing history for each change of a
driver's tier or of a component's value. A change that moved nothing costs no request."""

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

# A record whose new image cannot be read fails alone and ends in the failure queue, as on the
# standing stream: never the whole batch, never the Errors alarm.
processor = record_processor()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    writer = composition.history_writer()
    response = process_partial_response(
        event=event, record_handler=writer.handle_record, processor=processor, context=context
    )
    count(Metric.HISTORY_POINTS_WRITTEN, writer.written)
    count(Metric.BATCH_ITEM_FAILURES, len(response.get("batchItemFailures", [])))
    logger.info(
        "standing history", extra={"records": len(event["Records"]), "written": writer.written}
    )
    return response

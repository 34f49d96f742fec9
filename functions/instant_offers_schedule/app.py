"""The instant offers' expiry job, every minute: expired offers marked and their orders offered to
the next candidate; offers whose order went elsewhere withdrawn. Running it twice changes nothing
more."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcome = composition.instant_offers().settle()
    count(Metric.INSTANT_OFFERS_EXPIRED, outcome.expired)
    count(Metric.INSTANT_OFFERS_WITHDRAWN, outcome.withdrawn)
    count(Metric.INSTANT_OFFERS_MADE, outcome.offered)
    logger.info("instant offers settled", extra=vars(outcome))
    return vars(outcome)

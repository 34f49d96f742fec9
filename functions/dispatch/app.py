"""Dispatch: on the orders and bookings streams, for the malls a batch touches, and every minute
for every mall. A lease per mall keeps two runs for one mall apart, and conditional writes make a
retried or redelivered run assign nothing twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])


def _malls_of(records: list[dict[str, Any]]) -> set[str]:
    """The malls whose orders or drivers on duty changed: an image's mallId."""
    malls = set()
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage") or {}
        mall = image.get("mallId", {}).get("S")
        if mall:
            malls.add(mall)
    return malls


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    service = composition.dispatch_service()
    if "Records" in event:
        malls = _malls_of(event["Records"])
        outcome = service.run(sorted(malls))
    else:
        outcome = service.run_all()
    count(Metric.ORDERS_ASSIGNED, outcome.assigned)
    count(Metric.ORDERS_FLAGGED, outcome.flagged)
    count(Metric.DISPATCH_RACES_LOST, outcome.lost_races)
    logger.info("dispatch ran", extra=vars(outcome))
    return vars(outcome)

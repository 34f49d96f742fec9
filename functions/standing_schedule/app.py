"""The daily standing recalculation. Until ratings age out (issue 3) it only reports its run."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = event.get("job") or event.get("detail-type") or "unknown"
    logger.info("scheduled run", extra={"job": job})
    metrics.add_metric(name="ScheduledRuns", unit=MetricUnit.Count, value=1)
    return {"job": job, "requestId": context.aws_request_id}

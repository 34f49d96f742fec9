"""Daily standing sweep; on demand, {"driverIds": [...]} recomputes those drivers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
# Traced: a batch's DynamoDB and EventBridge calls show in X-Ray. Worth its cold start (see
# README, Tracing) where no user waits; patching botocore alone keeps that cost down.
tracer = Tracer(patch_modules=["botocore"])


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    requested = event.get("driverIds")
    drivers, outcome = composition.daily_sweep().run(
        set(map(str, requested)) if isinstance(requested, list) else None
    )
    summary = {
        "drivers": len(drivers),
        "written": outcome.written,
        "stale": outcome.stale,
        "tierChanges": len(outcome.tier_changes),
    }
    count(Metric.DRIVERS_RECALCULATED, len(drivers))
    count(Metric.COMPONENTS_WRITTEN, outcome.written)
    count(Metric.COMPONENTS_STALE, outcome.stale)
    count(Metric.TIER_CHANGES, len(outcome.tier_changes))
    logger.info("standing recalculated", extra=summary)
    return summary

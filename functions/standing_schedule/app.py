"""Daily standing sweep; on demand, {"driverIds": [...]} recomputes those drivers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition, snapstart

logger = Logger()
metrics = Metrics()
# Traced: a batch's DynamoDB and EventBridge calls show in X-Ray. Worth its cold start (see
# README, Tracing) where no user waits; patching botocore alone keeps that cost down.
tracer = Tracer(patch_modules=["botocore"])


def prime() -> None:
    """Builds the clients now, what the first batch would otherwise pay for."""
    composition.standing_projector()


snapstart.before_snapshot(prime)


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
    for name, value in (
        ("DriversRecalculated", len(drivers)),
        ("ComponentsWritten", outcome.written),
        ("ComponentsStale", outcome.stale),
        ("TierChanges", len(outcome.tier_changes)),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("standing recalculated", extra=summary)
    return summary

"""The blocks' scheduled jobs: {"job": "releases" | "surge" | "no-shows" | "reserved-offers"}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.metrics import Metric, count

logger = Logger()
metrics = Metrics()
tracer = Tracer(patch_modules=["botocore"])

JOBS = {
    "releases": "release",
    "surge": "surge",
    "no-shows": "no_shows",
    "reserved-offers": "expire_offers",
}


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job = event.get("job")
    if job not in JOBS:
        raise ValueError(f"no such job: {job!r}; the jobs are {', '.join(JOBS)}")
    changed = getattr(composition.block_jobs(), JOBS[job])()
    count(Metric.BLOCK_JOB_CHANGES, changed)
    logger.info("blocks job ran", extra={"job": job, "changed": changed})
    return {"job": job, "changed": changed}

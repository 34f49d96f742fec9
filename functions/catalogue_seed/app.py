"""The PilotMalls custom resource: at deploy (and at `make run`), add the pilot malls that are
missing. A mall ops changed is left as they left it; deleting the stack deletes no mall."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from flexfleet import composition
from flexfleet.cloudformation import respond

logger = Logger()
# One physical id for every update: CloudFormation sees the same resource, never a replacement
# (which would send a Delete for the old one).
PHYSICAL_ID = "pilot-malls"


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    status: Literal["SUCCESS", "FAILED"]
    try:
        added: list[str] = []
        if event["RequestType"] in ("Create", "Update"):
            added = composition.catalogue_service().seed_pilots()
        logger.info("pilot malls", extra={"request": event["RequestType"], "added": added})
        status, reason = "SUCCESS", f"added {len(added)} pilot malls"
    except Exception as exc:  # CloudFormation must hear of any failure, or it waits an hour
        logger.exception("pilot malls failed")
        status, reason, added = "FAILED", f"{type(exc).__name__}: {exc}", []
    respond(event, status, reason, PHYSICAL_ID, {"Added": len(added)})

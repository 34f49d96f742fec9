"""Answering CloudFormation for a custom resource: the response a custom resource's function
PUTs to the pre-signed ResponseURL of its request, as CloudFormation documents it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Literal

# CloudFormation refuses a response body over 4096 bytes.
MAX_REASON = 1000


def respond(
    event: dict[str, Any],
    status: Literal["SUCCESS", "FAILED"],
    reason: str,
    physical_id: str,
    data: dict[str, Any] | None = None,
) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:MAX_REASON],
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data or {},
        }
    ).encode()
    # The URL is S3's pre-signed one, signed for an empty content type.
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's own
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        answer.read()

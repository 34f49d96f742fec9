"""Events for tests: the golden events from `sam local generate-event`, varied per test."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.types import TypeSerializer

EVENTS = Path(__file__).with_name("events")
_serializer = TypeSerializer()


@cache
def _golden(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def golden(name: str) -> dict[str, Any]:
    return copy.deepcopy(_golden(name))


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    claims: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The golden HTTP API v2 event, aimed at one route, with or without a caller."""
    event = golden("http_api_proxy.json")
    event["routeKey"] = route_key or f"{method} {path}"
    event["rawPath"] = path
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    event.pop("cookies", None)
    event["headers"] = {"content-type": "application/json", **(headers or {})}
    context = event["requestContext"]
    context["http"].update({"method": method, "path": path})
    context["routeKey"] = event["routeKey"]
    if claims is None:
        context.pop("authorizer", None)
    else:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if body is None:
        event.pop("body", None)
    else:
        event["body"] = body
    event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    else:
        event.pop("pathParameters", None)
    return event


def dynamodb_stream_event(
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    stream_arn: str | None = None,
    key: str = "ratingId",
) -> dict[str, Any]:
    """The golden DynamoDB stream event with one record per (eventName, new, old) change."""
    template_record = golden("dynamodb_update.json")["Records"][0]
    records = []
    for sequence, (event_name, new, old) in enumerate(changes, start=1):
        record = copy.deepcopy(template_record)
        image = new or old or {}
        record["eventName"] = event_name
        record["eventID"] = f"event-{sequence}"
        if stream_arn:
            record["eventSourceARN"] = stream_arn
        change = record["dynamodb"]
        change["Keys"] = {key: _serializer.serialize(image[key])}
        change["SequenceNumber"] = str(1000 + sequence)
        change["StreamViewType"] = "NEW_AND_OLD_IMAGES"
        change.pop("NewImage", None)
        change.pop("OldImage", None)
        if new is not None:
            change["NewImage"] = {k: _serializer.serialize(v) for k, v in new.items()}
        if old is not None:
            change["OldImage"] = {k: _serializer.serialize(v) for k, v in old.items()}
        records.append(record)
    return {"Records": records}


def scheduled_event() -> dict[str, Any]:
    return golden("scheduled_event.json")


@dataclass(frozen=True)
class FakeLambdaContext:
    """What a handler reads of Lambda's context object."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/21/[$LATEST]test"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def lambda_context() -> LambdaContext:
    return cast(LambdaContext, FakeLambdaContext())


NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def delivery_report(
    delivery_id: str,
    *,
    driver_id: str = "d-1",
    customer_id: str = "c-1",
    delivered_at: datetime | None = None,
    outcome: str = "delivered",
    cause: str | None = None,
    promised_start: datetime | None = None,
    source: str = "station",
    order_id: str | None = None,
) -> dict[str, Any]:
    """A POST /deliveries body; delivered on time, an hour before NOW, unless told otherwise."""
    start = promised_start or NOW - timedelta(hours=2)
    if outcome == "delivered" and delivered_at is None:
        delivered_at = start + timedelta(minutes=30)
    body: dict[str, Any] = {
        "deliveryId": delivery_id,
        "driverId": driver_id,
        "customerId": customer_id,
        "promisedWindow": {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
        },
        "deliveredAt": delivered_at.isoformat() if delivered_at else None,
        "outcome": outcome,
        "source": source,
    }
    if cause is not None:
        body["cause"] = cause
    if order_id is not None:
        body["orderId"] = order_id
    return body


def stream_event_from_table(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """Records read from a moto stream, shaped as Lambda delivers them (by the runtime's code)."""
    from infra.local_runtime.streams import lambda_record

    return {"Records": [lambda_record(r, stream_arn, "us-east-1").record for r in records]}

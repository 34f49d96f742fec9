"""The local runtime's events have the shape of the golden events from sam local generate-event."""

from __future__ import annotations

from infra.local_runtime.gateway import Route, build_event
from infra.local_runtime.streams import lambda_record
from tests.factories import golden


def test_the_gateway_event_has_the_golden_http_api_v2_fields() -> None:
    reference = golden("http_api_proxy.json")
    event = build_event(
        route=Route("POST", "/path/to/resource", "Fn", None),
        path_parameters={"id": "1"},
        method="POST",
        target="/path/to/resource?parameter1=value1",
        headers=[("content-type", "application/json"), ("Cookie", "cookie1")],
        body=b'{"test": "body"}',
        source_ip="127.0.0.1",
        account_id="123456789012",
        api_id="api-id",
        claims={"sub": "x"},
    )

    # API Gateway leaves stageVariables out when the stage has none, as here.
    assert set(event) == set(reference) - {"stageVariables"}
    unique_to_mtls = {"authentication"}
    assert set(event["requestContext"]) == set(reference["requestContext"]) - unique_to_mtls
    assert set(event["requestContext"]["http"]) == set(reference["requestContext"]["http"])


def test_a_stream_record_has_the_golden_dynamodb_record_fields() -> None:
    reference = golden("dynamodb_update.json")["Records"][0]
    raw = {k: v for k, v in reference.items() if k != "eventSourceARN"}

    record = lambda_record(raw, reference["eventSourceARN"], reference["awsRegion"]).record

    assert set(record) == set(reference)
    assert set(record["dynamodb"]) == set(reference["dynamodb"])
    assert (
        record["dynamodb"]["ApproximateCreationDateTime"]
        == reference["dynamodb"]["ApproximateCreationDateTime"]
    )


def test_the_schedule_payload_has_the_golden_scheduled_event_fields() -> None:
    from infra.local_runtime.schedules import Schedule, ScheduleExpression

    schedule = Schedule(
        "Fn", "Daily", ScheduleExpression("rate(1 day)"), "arn:rule", None, True, "us-east-1", "1"
    )

    assert set(schedule.payload(0.0)) >= set(golden("scheduled_event.json"))

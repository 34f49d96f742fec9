"""The platform's API handlers, fed the golden HTTP API event: no network, no runtime."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from functions.deliveries_api import app as deliveries_api
from functions.health import app as health
from functions.instant_offers_api import app as instant_offers_api
from functions.me import app as me
from tests.factories import delivery_report, http_api_event, lambda_context

DRIVER = {"sub": "d-123", "cognito:groups": "[driver]"}


def call(module: Any, event: dict[str, Any]) -> tuple[int, Any]:
    response = module.lambda_handler(event, lambda_context())
    return response["statusCode"], json.loads(response["body"])


def test_health_is_ok() -> None:
    assert call(health, http_api_event("GET", "/health")) == (200, {"status": "ok"})


def test_me_answers_the_sub_and_groups_from_the_authorizer_claims() -> None:
    claims = {"sub": "c-9", "cognito:groups": "[customer ops]"}

    assert call(me, http_api_event("GET", "/me", claims=claims)) == (
        200,
        {"sub": "c-9", "groups": ["customer", "ops"]},
    )


def test_me_without_claims_answers_401_and_not_500() -> None:
    status, body = call(me, http_api_event("GET", "/me"))

    assert status == 401
    assert body["code"] == "unauthenticated"


def test_a_malformed_json_body_is_a_400_that_names_the_body() -> None:
    status, body = call(me, http_api_event("GET", "/me", claims=DRIVER, body="{oops"))

    assert status == 400
    assert body["field"] == "body"
    assert "message" in body


def test_a_body_that_is_not_declared_json_is_a_415() -> None:
    event = http_api_event(
        "GET", "/me", claims=DRIVER, body="hi", headers={"content-type": "text/plain"}
    )

    status, body = call(me, event)

    assert status == 415
    assert body["field"] == "content-type"


def test_a_body_over_64_kib_is_a_413_even_when_base64_encoded() -> None:
    event = http_api_event("GET", "/me", claims=DRIVER)
    event["body"] = base64.b64encode(b'{"a": "' + b"x" * 70_000 + b'"}').decode()
    event["isBase64Encoded"] = True

    status, body = call(me, event)

    assert status == 413
    assert body["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_media_types_with_parameters_or_suffixes_are_accepted(content_type: str) -> None:
    event = http_api_event(
        "GET", "/me", claims=DRIVER, body="{}", headers={"content-type": content_type}
    )

    assert call(me, event)[0] == 200


def test_an_unknown_route_reaching_the_function_is_a_json_404() -> None:
    status, body = call(me, http_api_event("GET", "/elsewhere", claims=DRIVER))

    assert status == 404
    assert body["code"] == "not_found"


def test_a_deeply_nested_body_is_a_400_not_a_crash() -> None:
    body = "[" * 30_000 + "]" * 30_000

    status, reply = call(me, http_api_event("GET", "/me", claims=DRIVER, body=body))

    assert status == 400
    assert reply["field"] == "body"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32", "utf-32-be", "utf-8-sig"])
def test_a_body_in_another_encoding_than_utf_8_is_a_400_that_names_the_body(
    encoding: str,
) -> None:
    event = http_api_event("GET", "/me", claims=DRIVER)
    event["body"] = base64.b64encode('{"stars": 5}'.encode(encoding)).decode()
    event["isBase64Encoded"] = True

    status, body = call(me, event)

    assert status == 400
    assert body["field"] == "body"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_are_a_400(number: str) -> None:
    event = http_api_event("GET", "/me", claims=DRIVER, body=f'{{"stars": {number}}}')

    status, body = call(me, event)

    assert status == 400
    assert body["field"] == "body"


def delivery_event(**window: str) -> dict[str, Any]:
    report = delivery_report("del-1")
    report["promisedWindow"].update(window)
    return http_api_event(
        "POST",
        "/deliveries",
        claims={"sub": "station-1", "cognito:groups": "[system]"},
        body=json.dumps(report),
    )


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("end", "9999-12-31T23:00:00-05:00"),
        ("start", "0001-01-01T00:30:00+01:00"),
        ("end", "2150-01-01T00:00:00Z"),
        ("start", "1999-12-31T23:59:59Z"),
    ],
)
def test_a_time_out_of_range_is_a_422_that_names_the_field(field: str, moment: str) -> None:
    status, body = call(deliveries_api, delivery_event(**{field: moment}))

    assert status == 422
    assert body["field"] == f"promisedWindow.{field}"


@pytest.mark.parametrize("moment", [1700000000, 1.7e9, True, {"at": "now"}])
def test_a_time_that_is_not_a_string_is_a_422_naming_the_field(moment: object) -> None:
    report = delivery_report("del-1")
    report["promisedWindow"]["start"] = moment
    event = http_api_event(
        "POST",
        "/deliveries",
        claims={"sub": "station-1", "cognito:groups": "[system]"},
        body=json.dumps(report),
    )

    status, body = call(deliveries_api, event)

    assert status == 422
    assert body["field"] == "promisedWindow.start"


@pytest.mark.parametrize("online", ["yes", "true", 1, None])
def test_online_that_is_not_true_or_false_is_a_422_naming_online(online: object) -> None:
    event = http_api_event(
        "PUT",
        "/drivers/d-1/availability",
        claims={"sub": "d-1", "cognito:groups": "[driver]"},
        body=json.dumps({"online": online, "lat": 36.13, "lng": -115.17}),
    )

    status, body = call(instant_offers_api, event)

    assert status == 422
    assert body["field"] == "online"

"""The platform's API handlers, fed the golden HTTP API event: no network, no runtime."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from functions.health import app as health
from functions.me import app as me
from tests.factories import http_api_event, lambda_context

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

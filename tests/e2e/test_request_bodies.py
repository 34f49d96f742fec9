"""Request bodies through the whole stack: the API's checks run before any route reads them."""

from __future__ import annotations

import pytest

from tests.runtime_http import Api

pytestmark = pytest.mark.e2e


def test_malformed_json_answers_400_naming_the_body(app: Api) -> None:
    token = app.runtime.token("driver", "d-1")

    reply = app.request(
        "GET", "/me", token=token, body="{not json", headers={"content-type": "application/json"}
    )

    assert reply.status == 400
    assert reply.json["field"] == "body"
    assert "Traceback" not in reply.body.decode()


def test_the_wrong_content_type_answers_415_naming_the_header(app: Api) -> None:
    token = app.runtime.token("driver", "d-1")

    reply = app.request(
        "GET", "/me", token=token, body="hello", headers={"content-type": "text/plain"}
    )

    assert reply.status == 415
    assert reply.json["field"] == "content-type"


def test_a_body_over_the_api_limit_answers_413(app: Api) -> None:
    token = app.runtime.token("driver", "d-1")
    big = '{"pad": "' + "x" * (65 * 1024) + '"}'

    reply = app.request(
        "GET", "/me", token=token, body=big, headers={"content-type": "application/json"}
    )

    assert reply.status == 413
    assert reply.json["field"] == "body"

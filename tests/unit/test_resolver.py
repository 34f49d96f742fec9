"""The API's resolver in front of any route: what a client may send, and what it gets back."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body

from flexfleet.api.resolver import http_resolver, http_router
from flexfleet.api_model import ApiModel
from tests.factories import http_api_event, lambda_context


class Echo(ApiModel):
    stars: int


router = http_router()


@router.post("/echo")
def echo(body: Annotated[Echo, Body()]) -> Echo:
    return body


@router.get("/items/<itemId>")
def item(itemId: str) -> dict[str, str]:  # noqa: N803 - the path's name
    return {"itemId": itemId}


APP = http_resolver()
APP.include_router(router)


def send(method: str, path: str, body: str | None, content_type: str | None) -> tuple[int, Any]:
    headers = {} if content_type is None else {"content-type": content_type}
    event = http_api_event(method, path, body=body, headers=headers)
    if content_type is None:
        event["headers"].pop("content-type", None)
    answer = APP.resolve(event, lambda_context())
    return answer["statusCode"], json.loads(answer["body"])


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/JSON",
        "Application/Json; charset=UTF-8",
        "application/vnd.api+json",
        "application/merge-patch+json",
    ],
)
def test_any_spelling_of_a_json_media_type_reaches_the_route(content_type: str) -> None:
    assert send("POST", "/echo", '{"stars": 4}', content_type) == (200, {"stars": 4})


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", None, "application/JSON"]
)
def test_no_body_is_a_422_naming_the_body_whatever_the_declared_type(
    content_type: str | None,
) -> None:
    status, answer = send("POST", "/echo", None, content_type)

    assert status == 422
    assert answer["field"] == "body"


def test_a_body_declared_as_something_else_is_a_415_naming_the_content_type() -> None:
    status, answer = send("POST", "/echo", "<stars>4</stars>", "application/xml")

    assert status == 415
    assert answer["field"] == "content-type"


def test_an_object_with_a_name_twice_is_a_400_naming_the_body() -> None:
    status, answer = send("POST", "/echo", '{"stars": 5, "stars": 1}', "application/json")

    assert status == 400
    assert answer["field"] == "body"
    assert "stars" in answer["message"]


@pytest.mark.parametrize(
    "path", ["/items/d-1\n", "/items/d-1\r", "/items/d\x001", "/items/d-1\x7f"]
)
def test_a_path_with_a_control_character_matches_no_route(path: str) -> None:
    status, answer = send("GET", path, None, None)

    assert status == 404
    assert answer["code"] == "not_found"


def test_the_plain_path_is_the_item() -> None:
    assert send("GET", "/items/d-1", None, None) == (200, {"itemId": "d-1"})

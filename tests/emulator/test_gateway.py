"""The local HTTP API: route matching, the v2 event, and the response mapping of format 2.0."""

from __future__ import annotations

import base64
import http.client
import json
from typing import Any

import pytest

from infra.local_runtime.functions import Invocation
from infra.local_runtime.gateway import (
    HttpApiGateway,
    HttpResponse,
    Route,
    RouteTable,
    build_event,
    decode_path,
    map_response,
)


def route(method: str, path: str, function_id: str = "Fn") -> Route:
    return Route(method=method, path=path, function_id=function_id, authorizer=None)


def invocation(payload: Any = None, error: dict[str, Any] | None = None) -> Invocation:
    return Invocation("Fn", "req-1", payload, error, 1.0, False)


def test_a_literal_path_wins_over_a_parameter_and_a_greedy_path() -> None:
    table = RouteTable(
        [
            route("GET", "/{proxy+}", "Greedy"),
            route("GET", "/drivers/{id}", "Param"),
            route("GET", "/drivers/me", "Literal"),
        ]
    )

    assert table.match("GET", "/drivers/me")[0].function_id == "Literal"  # type: ignore[index]
    assert table.match("GET", "/drivers/d-1")[0].function_id == "Param"  # type: ignore[index]
    assert table.match("GET", "/a/b/c")[0].function_id == "Greedy"  # type: ignore[index]


@pytest.mark.parametrize(
    ("sent", "decoded"),
    [
        ("/capture/space%20value", "/capture/space value"),
        ("/deliveries/store%3A42", "/deliveries/store:42"),
        ("/deliveries/store:42", "/deliveries/store:42"),
        ("/deliveries/a%2Fb", "/deliveries/a/b"),
        ("/capture/%2525value", "/capture/%value"),
        ("/capture/%2541", "/capture/A"),
        ("/capture/question%3Fvalue", "/capture/question"),
        ("/capture/caf%C3%A9", "/capture/caf\u00e9"),
    ],
)
def test_an_http_api_hands_on_the_path_decoded_twice_and_cut_at_a_decoded_question_mark(
    sent: str, decoded: str
) -> None:
    assert decode_path(sent) == decoded


@pytest.mark.parametrize(
    "sent", ["/capture/percent%25done", "/capture/%zz", "/capture/50%", "/capture/%FF"]
)
def test_a_path_whose_decoding_meets_an_invalid_escape_is_refused(sent: str) -> None:
    with pytest.raises(ValueError, match="escape|UTF-8"):
        decode_path(sent)


def test_routes_match_the_decoded_path_and_parameters_are_not_decoded_again() -> None:
    table = RouteTable([route("GET", "/deliveries/{deliveryId}")])

    assert table.match("GET", "/deliveries/store:42") == (
        route("GET", "/deliveries/{deliveryId}"),
        {"deliveryId": "store:42"},
    )
    assert table.match("GET", "/deliveries/%value")[1] == {"deliveryId": "%value"}  # type: ignore[index]
    assert table.match("GET", "/deliveries/a/b") is None


def test_the_event_carries_the_decoded_path_and_the_query_string_as_sent() -> None:
    event = build_event(
        route=route("GET", "/capture/{value}"),
        path_parameters={"value": "store:42 x"},
        method="GET",
        target="/capture/store%3A42%20x?q=a%20b&c=%3A",
        headers=[],
        body=b"",
        source_ip="127.0.0.1",
        account_id="1",
        api_id="a",
        claims=None,
    )

    assert event["rawPath"] == "/capture/store:42 x"
    assert event["requestContext"]["http"]["path"] == "/capture/store:42 x"
    assert event["pathParameters"] == {"value": "store:42 x"}
    assert event["rawQueryString"] == "q=a%20b&c=%3A"
    assert event["queryStringParameters"] == {"q": "a b", "c": ":"}


def test_a_path_that_cannot_be_decoded_answers_400_before_any_function() -> None:
    invoked: list[str] = []

    def invoke(function_id: str, event: dict[str, Any], trigger: str) -> HttpResponse:
        invoked.append(function_id)
        return map_response(invocation({}))

    gateway = HttpApiGateway(
        [route("GET", "/capture/{value}")],
        invoke,
        account_id="1",
        api_id="a",
        port=0,
    )
    try:
        response = gateway.handle("GET", "/capture/percent%25done", [], b"", "127.0.0.1")
    finally:
        gateway.server.stop()

    assert (response.status, json.loads(response.body)) == (400, {"message": "Bad Request"})
    assert invoked == []


def test_an_unknown_method_on_a_known_path_does_not_match() -> None:
    assert RouteTable([route("GET", "/me")]).match("POST", "/me") is None


def test_any_matches_every_method_and_default_matches_every_path() -> None:
    table = RouteTable([route("ANY", "/me", "Any"), route("ANY", "$default", "Default")])

    assert table.match("DELETE", "/me")[0].function_id == "Any"  # type: ignore[index]
    assert table.match("GET", "/elsewhere")[0].function_id == "Default"  # type: ignore[index]


def test_the_event_follows_the_http_api_v2_mapping() -> None:
    event = build_event(
        route=route("GET", "/drivers/{driverId}"),
        path_parameters={"driverId": "d-1"},
        method="GET",
        target="/drivers/d-1?limit=5&tag=a&tag=b",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("X-Multi", "1"),
            ("x-multi", "2"),
            ("Cookie", "a=1; b=2"),
        ],
        body=b"",
        source_ip="127.0.0.1",
        account_id="123456789012",
        api_id="api",
        claims={"sub": "d-1", "cognito:groups": ["driver"]},
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /drivers/{driverId}"
    assert event["rawPath"] == "/drivers/d-1"
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b"}
    assert event["headers"]["x-multi"] == "1,2"
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["pathParameters"] == {"driverId": "d-1"}
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {
        "sub": "d-1",
        "cognito:groups": "[driver]",
    }
    assert "body" not in event
    assert event["isBase64Encoded"] is False


def test_a_binary_body_is_base64_encoded_and_a_json_body_is_not() -> None:
    def body_of(content_type: str, body: bytes) -> tuple[str, bool]:
        event = build_event(
            route=route("POST", "/x"),
            path_parameters={},
            method="POST",
            target="/x",
            headers=[("content-type", content_type)],
            body=body,
            source_ip="127.0.0.1",
            account_id="1",
            api_id="a",
            claims=None,
        )
        return event["body"], event["isBase64Encoded"]

    assert body_of("application/json", b'{"a":1}') == ('{"a":1}', False)
    assert body_of("image/png", b"\x89PNG") == (base64.b64encode(b"\x89PNG").decode(), True)


def test_a_response_with_a_status_code_is_used_as_it_is() -> None:
    response = map_response(
        invocation({"statusCode": 201, "headers": {"x-a": "1"}, "body": "made", "cookies": ["c=1"]})
    )

    assert response.status == 201
    assert ("x-a", "1") in response.headers
    assert ("set-cookie", "c=1") in response.headers
    assert response.body == b"made"


def test_any_other_value_is_inferred_as_a_200_json_response() -> None:
    response = map_response(invocation({"hello": "world"}))

    assert response.status == 200
    assert ("content-type", "application/json") in response.headers
    assert json.loads(response.body) == {"hello": "world"}


def test_a_function_error_becomes_api_gateways_500() -> None:
    response = map_response(invocation(error={"errorType": "ValueError", "errorMessage": "boom"}))

    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}
    assert b"boom" not in response.body


def test_a_nonsense_status_code_becomes_a_500() -> None:
    assert map_response(invocation({"statusCode": 99999})).status == 500


def test_a_fault_inside_the_gateway_answers_a_json_500_rather_than_dropping_the_connection() -> (
    None
):
    def invoke(function_id: str, event: dict[str, Any], trigger: str) -> HttpResponse:
        raise RuntimeError("a bug of the runtime")

    gateway = HttpApiGateway([route("GET", "/x")], invoke, account_id="1", api_id="a", port=0)
    gateway.server.start()
    try:
        host, port = gateway.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/x")
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
        connection.close()
    finally:
        gateway.server.stop()

    assert (status, body) == (500, {"message": "Internal Server Error"})

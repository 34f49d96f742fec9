"""The local WebSocket API, in process with stand-in functions: handshake, routes, @connections."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from infra.local_runtime.websocket import (
    CONNECT,
    DEFAULT,
    DISCONNECT,
    IdentitySource,
    RequestAuthorizer,
    WebSocketApiDefinition,
    WebSocketRoute,
)
from infra.local_runtime.websocket_server import (
    IDLE_TIMEOUT_SECONDS,
    WebSocketServer,
    is_loopback_peer,
)
from tests.emulator.conftest import FIXTURE_TEMPLATE

Handler = Callable[[dict[str, Any]], Any]


class Unauthorized(Exception):
    """What an authorizer raises, in Lambda's words, to get a 401."""


@dataclass
class Functions:
    """Stand-ins for the functions: handlers by function id, and every event they got."""

    handlers: dict[str, Handler]
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function_id: str, event: dict[str, Any], trigger: str) -> Invocation:
        with self.lock:
            self.events.append((function_id, event))
        try:
            payload, error = self.handlers[function_id](event), None
        except Unauthorized:
            payload, error = None, {"errorType": "Exception", "errorMessage": "Unauthorized"}
        except Exception as exc:  # noqa: BLE001 - a failing function, as Lambda reports it
            payload, error = None, {"errorType": type(exc).__name__, "errorMessage": str(exc)}
        return Invocation(function_id, "req", payload, error, 1.0, False)

    def of(self, function_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [event for fn, event in self.events if fn == function_id]


def allow(event: dict[str, Any]) -> dict[str, Any]:
    token = event["queryStringParameters"]["token"]
    if token == "unauthorized":
        raise Unauthorized
    if token == "broken":
        return {"statusCode": 401}
    return {
        "principalId": token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny" if token == "deny" else "Allow",
                    "Resource": event["methodArn"],
                }
            ],
        },
        "context": {"userId": token, "groups": "[driver]", "level": 3, "fresh": True},
    }


def socket_function(event: dict[str, Any]) -> Any:
    context = event["requestContext"]
    route = context["routeKey"]
    if route == CONNECT:
        status = (event.get("queryStringParameters") or {}).get("status", "200")
        return {"statusCode": int(status), "body": "connect says no"}
    if route == "crash":
        raise RuntimeError("the function fails on purpose")
    if route in ("echo", DEFAULT):
        return {"statusCode": 200, "body": json.dumps({"route": route, "body": event["body"]})}
    return {"statusCode": 200, "body": "a one-way route's answer is dropped"}


AUTHORIZER = RequestAuthorizer(
    "Authorizer", "AuthorizerFn", (IdentitySource("querystring", "token"),)
)


def api(*, with_default: bool = True) -> WebSocketApiDefinition:
    routes = [
        WebSocketRoute(CONNECT, "SocketFn", AUTHORIZER),
        WebSocketRoute(DISCONNECT, "SocketFn"),
        WebSocketRoute("echo", "SocketFn", responds=True),
        WebSocketRoute("silent", "SocketFn"),
        WebSocketRoute("crash", "SocketFn", responds=True),
    ]
    if with_default:
        routes.append(WebSocketRoute(DEFAULT, "SocketFn", responds=True))
    return WebSocketApiDefinition(
        logical_id="WebSocketApi",
        api_id="flexfleet-WebSocketApi",
        stage="live",
        selection_field=("action",),
        routes={r.key: r for r in routes},
    )


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Local:
    server: WebSocketServer
    functions: Functions
    clock: Clock

    def connect(self, token: str | None = "d-1", **query: str) -> ClientConnection:
        params = {**({"token": token} if token is not None else {}), **query}
        suffix = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        return connect(self.server.stage_url + suffix, open_timeout=5, close_timeout=2)

    def management(self) -> Any:
        endpoint = self.server.stage_url.replace("ws://", "http://")
        return boto3.client(
            "apigatewaymanagementapi", endpoint_url=endpoint, region_name="us-east-1"
        )

    def wait_for(self, check: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.02)
        return check()


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(Template(FIXTURE_TEMPLATE))


def serve(stack: Stack, definition: WebSocketApiDefinition) -> Iterator[Local]:
    functions = Functions({"AuthorizerFn": allow, "SocketFn": socket_function})
    clock = Clock()
    server = WebSocketServer(definition, stack, functions, clock=clock, port=0)
    server.start()
    try:
        yield Local(server, functions, clock)
    finally:
        server.stop()


@pytest.fixture
def local(stack: Stack) -> Iterator[Local]:
    yield from serve(stack, api())


@pytest.fixture
def without_default(stack: Stack) -> Iterator[Local]:
    yield from serve(stack, api(with_default=False))


def refusal_status(local: Local, token: str | None, **query: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        local.connect(token, **query)
    return refused.value.response.status_code


# ------------------------------------------------------------------------- the handshake
def test_an_allowed_connection_runs_the_authorizer_then_connect_with_its_context(
    local: Local,
) -> None:
    with local.connect("d-1", extra="x") as client:
        client.send(json.dumps({"action": "echo"}))
        client.recv(timeout=5)

    authorizer_event = local.functions.of("AuthorizerFn")[0]
    connect_event = next(
        e for e in local.functions.of("SocketFn") if e["requestContext"]["routeKey"] == CONNECT
    )
    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["methodArn"] == (
        "arn:aws:execute-api:us-east-1:123456789012:flexfleet-WebSocketApi/live/$connect"
    )
    assert authorizer_event["queryStringParameters"] == {"token": "d-1", "extra": "x"}
    assert authorizer_event["multiValueQueryStringParameters"] == {"token": ["d-1"], "extra": ["x"]}
    assert authorizer_event["requestContext"]["eventType"] == "CONNECT"
    assert authorizer_event["stageVariables"] == {}
    assert connect_event["requestContext"]["authorizer"] == {
        "principalId": "d-1",
        "userId": "d-1",
        "groups": "[driver]",
        "level": 3,
        "fresh": True,
    }
    assert (
        connect_event["requestContext"]["connectionId"]
        == authorizer_event["requestContext"]["connectionId"]
    )


def test_a_missing_token_is_401_without_invoking_the_authorizer(local: Local) -> None:
    assert refusal_status(local, None) == 401
    assert refusal_status(local, "") == 401

    assert local.functions.of("AuthorizerFn") == []
    assert local.functions.of("SocketFn") == []


@pytest.mark.parametrize(
    ("token", "status"), [("deny", 403), ("unauthorized", 401), ("broken", 500)]
)
def test_an_authorizer_that_denies_refuses_the_handshake_as_api_gateway_does(
    local: Local, token: str, status: int
) -> None:
    assert refusal_status(local, token) == status
    assert local.functions.of("SocketFn") == []  # $connect never ran


@pytest.mark.parametrize("status", ["401", "403", "500"])
def test_a_non_2xx_answer_from_connect_refuses_the_connection_with_that_status(
    local: Local, status: str
) -> None:
    assert refusal_status(local, "d-1", status=status) == int(status)
    assert local.server.connection_ids() == []


def test_a_path_other_than_the_stage_is_403(local: Local) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(local.server.url + "/prod?token=d-1", open_timeout=5)

    assert refused.value.response.status_code == 403


def test_a_plain_get_of_the_stage_is_refused_before_any_function_runs(local: Local) -> None:
    host, port = local.server.url.removeprefix("ws://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/live?token=d-1")
    status = connection.getresponse().status
    connection.close()

    assert status == 426
    assert local.functions.events == []


# -------------------------------------------------------------------------------- routes
def test_the_selection_expression_picks_the_route_and_a_two_way_route_answers(
    local: Local,
) -> None:
    with local.connect() as client:
        client.send(json.dumps({"action": "echo", "n": 1}))
        answer = json.loads(client.recv(timeout=5))

    assert answer["route"] == "echo"
    assert json.loads(answer["body"]) == {"action": "echo", "n": 1}
    message = next(
        e for e in local.functions.of("SocketFn") if e["requestContext"]["routeKey"] == "echo"
    )
    assert message["requestContext"]["eventType"] == "MESSAGE"
    assert message["requestContext"]["authorizer"]["userId"] == "d-1"
    assert message["isBase64Encoded"] is False


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"action": "nowhere"}),
        json.dumps({"other": 1}),
        "[1, 2]",
        "[" * 3000,
        '{"action":' * 1000,
    ],
)
def test_a_body_that_selects_no_route_goes_to_default(local: Local, body: str) -> None:
    with local.connect() as client:
        client.send(body)
        answer = json.loads(client.recv(timeout=5))

    assert answer == {"route": DEFAULT, "body": body}


def test_a_one_way_route_sends_nothing_back(local: Local) -> None:
    with local.connect() as client:
        client.send(json.dumps({"action": "silent"}))
        client.send(json.dumps({"action": "echo"}))
        first = json.loads(client.recv(timeout=5))

    assert first["route"] == "echo"


def test_no_route_and_no_default_gets_api_gateways_forbidden_frame(
    without_default: Local,
) -> None:
    with without_default.connect() as client:
        client.send(json.dumps({"action": "nowhere"}))
        frame = json.loads(client.recv(timeout=5))

    assert frame["message"] == "Forbidden"
    assert set(frame) == {"message", "connectionId", "requestId"}


def test_a_failing_function_gets_api_gateways_internal_server_error_frame(local: Local) -> None:
    with local.connect() as client:
        client.send(json.dumps({"action": "crash"}))
        frame = json.loads(client.recv(timeout=5))
        client.send(json.dumps({"action": "echo"}))
        still_open = client.recv(timeout=5)

    assert frame["message"] == "Internal server error"
    assert (
        frame["connectionId"]
        == local.functions.of("AuthorizerFn")[0]["requestContext"]["connectionId"]
    )
    assert json.loads(still_open)["route"] == "echo"


def test_closing_invokes_disconnect_with_the_close_code_and_the_connections_context(
    local: Local,
) -> None:
    with local.connect() as client:
        client.close(code=4000, reason="bye")

    disconnect = local.wait_for(
        lambda: [
            e
            for e in local.functions.of("SocketFn")
            if e["requestContext"]["routeKey"] == DISCONNECT
        ]
    )
    context = disconnect[0]["requestContext"]
    assert context["eventType"] == "DISCONNECT"
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4000, "bye")
    assert context["authorizer"]["principalId"] == "d-1"
    assert local.server.connection_ids() == []


# -------------------------------------------------------------------------- @connections
def test_post_to_connection_through_boto3_arrives_as_a_text_frame(local: Local) -> None:
    with local.connect() as client:
        (connection_id,) = local.server.connection_ids()

        local.management().post_to_connection(ConnectionId=connection_id, Data=b'{"type":"x"}')
        received = client.recv(timeout=5)

    assert received == '{"type":"x"}'


def test_get_connection_through_boto3_answers_when_and_from_where(local: Local) -> None:
    with local.connect():
        (connection_id,) = local.server.connection_ids()

        answer = local.management().get_connection(ConnectionId=connection_id)

    assert answer["Identity"]["SourceIp"] == "127.0.0.1"
    assert "Python" in answer["Identity"]["UserAgent"]
    assert answer["ConnectedAt"] <= answer["LastActiveAt"]


def test_delete_connection_through_boto3_closes_it_and_invokes_disconnect(local: Local) -> None:
    with local.connect() as client:
        (connection_id,) = local.server.connection_ids()

        local.management().delete_connection(ConnectionId=connection_id)

        with pytest.raises(ConnectionClosed):
            client.recv(timeout=5)
    assert local.wait_for(
        lambda: [
            e
            for e in local.functions.of("SocketFn")
            if e["requestContext"]["routeKey"] == DISCONNECT
        ]
    )
    assert local.server.connection_ids() == []


@pytest.mark.parametrize("call", ["post_to_connection", "get_connection", "delete_connection"])
def test_an_unknown_or_gone_connection_is_410_gone_exception_in_boto3(
    local: Local, call: str
) -> None:
    with local.connect():
        (gone,) = local.server.connection_ids()
    local.wait_for(lambda: not local.server.connection_ids())
    management = local.management()
    arguments = {"Data": b"x"} if call == "post_to_connection" else {}

    for connection_id in (gone, "L0SM9cOFvHcCIhw="):
        with pytest.raises(management.exceptions.GoneException) as gone_error:
            getattr(management, call)(ConnectionId=connection_id, **arguments)
        assert gone_error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [
        (("127.0.0.1", 50000), True),
        (("127.8.9.10", 50000), True),
        (("::1", 50000, 0, 0), True),
        (("::ffff:127.0.0.1", 50000, 0, 0), True),
        (("192.168.1.20", 50000), False),
        (("10.0.0.5", 50000), False),
        (("fe80::1%eth0", 50000, 0, 2), False),
        (("::ffff:192.168.1.20", 50000, 0, 0), False),
        ("not an address", False),
    ],
)
def test_only_a_loopback_peer_counts_as_this_machine(peer: Any, loopback: bool) -> None:
    assert is_loopback_peer(peer) is loopback


def test_a_management_request_from_another_machine_is_refused_whatever_the_host(
    local: Local,
) -> None:
    with local.connect() as client:
        (connection_id,) = local.server.connection_ids()
        ours, theirs = socket.socketpair()
        # The server's side of a connection whose peer is another machine on the network.
        serving = threading.Thread(
            target=local.server._serve_management, args=(theirs, ("192.168.1.20", 50000))
        )
        serving.start()
        request = f"POST /live/@connections/{connection_id} HTTP/1.1\r\n"
        ours.sendall(
            request.encode() + b"Host: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        )
        response = http.client.HTTPResponse(ours)
        response.begin()
        body = json.loads(response.read())
        serving.join(timeout=5)
        ours.close()

        assert response.status == 403
        assert response.getheader("x-amzn-ErrorType") == "AccessDeniedException"
        assert "this machine only" in body["message"]
        with pytest.raises(TimeoutError):
            client.recv(timeout=0.3)  # nothing was posted
        assert local.server.connection_ids() == [connection_id]


def test_a_message_over_128_kb_is_refused_with_payload_too_large(local: Local) -> None:
    with local.connect():
        (connection_id,) = local.server.connection_ids()

        with pytest.raises(ClientError) as refused:
            local.management().post_to_connection(
                ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1)
            )

    assert refused.value.response["Error"]["Code"] == "PayloadTooLargeException"


# -------------------------------------------------------------------------------- limits
def test_a_connection_idle_for_ten_minutes_on_the_runtimes_clock_is_closed_with_1001(
    local: Local,
) -> None:
    with local.connect() as client:
        local.clock.offset += IDLE_TIMEOUT_SECONDS

        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=5)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    disconnect = local.wait_for(
        lambda: [
            e
            for e in local.functions.of("SocketFn")
            if e["requestContext"]["routeKey"] == DISCONNECT
        ]
    )
    assert disconnect[0]["requestContext"]["disconnectStatusCode"] == 1001


def test_a_message_keeps_a_connection_from_idling_out(local: Local) -> None:
    with local.connect() as client:
        local.clock.offset += IDLE_TIMEOUT_SECONDS - 60
        client.send(json.dumps({"action": "echo"}))
        client.recv(timeout=5)
        local.clock.offset += 120
        time.sleep(1.2)  # two of the limit checker's rounds

        client.send(json.dumps({"action": "echo"}))
        assert json.loads(client.recv(timeout=5))["route"] == "echo"


def test_stopping_the_server_closes_connections_and_invokes_disconnect(stack: Stack) -> None:
    serving = serve(stack, api())
    local = next(serving)
    with local.connect() as client:
        with pytest.raises(StopIteration):
            next(serving)  # stops the server

        with pytest.raises(ConnectionClosed) as closed:
            client.recv(timeout=5)

    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert any(
        e["requestContext"]["routeKey"] == DISCONNECT for e in local.functions.of("SocketFn")
    )

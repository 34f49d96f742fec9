"""WebSocketFunction on moto, as API Gateway invokes it: $connect records the connection of the user
the authorizer let in, until its token's exp or two hours; $disconnect forgets it; $default
answers a ping with a pong and anything else with an error frame that names the problem."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from flexfleet import composition
from flexfleet.realtime.repository import ConnectionRepository
from functions.ws_connections import app
from infra.local_runtime.stack import Stack
from tests.factories import lambda_context
from tests.integration.live import ENDPOINT, Sockets

CACHED = (
    composition.dynamodb,
    composition.clock,
    composition.connections,
    composition.management_api,
)


@pytest.fixture
def sockets(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sockets]:
    """The function's environment as the template sets it, its management API client stubbed."""
    stubbed = Sockets()
    monkeypatch.setenv("CONNECTIONS_TABLE_NAME", aws.table_name("ConnectionsTable"))
    monkeypatch.setenv("WEBSOCKET_ENDPOINT", ENDPOINT.replace("https://", "wss://"))
    endpoints: list[str] = []

    def client(endpoint_url: str) -> Any:
        endpoints.append(endpoint_url)
        return stubbed.client

    monkeypatch.setattr(composition, "management_api_client", client)
    for provider in CACHED:
        provider.cache_clear()
    yield stubbed
    for provider in CACHED:
        provider.cache_clear()
    assert set(endpoints) <= {ENDPOINT}


AUTHORIZER = {"principalId": "d-1", "sub": "d-1", "groups": "driver ops"}


def event(route: str, connection_id: str = "conn-1", **extra: Any) -> dict[str, Any]:
    """An event shaped as API Gateway sends a WebSocket route's integration."""
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE"),
        "connectionId": connection_id,
        "connectedAt": 1795436868177,
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "stage": "live",
        "apiId": "abc123",
        "requestId": "req-1",
        "messageDirection": "IN",
    }
    if route == "$connect":
        context["authorizer"] = AUTHORIZER
    context.update(extra.pop("context", {}))
    return {"requestContext": context, "isBase64Encoded": False, **extra}


def invoke(event_: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = app.lambda_handler(event_, lambda_context())
    return answer


def stored(aws: Stack, connection_id: str = "conn-1") -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        boto3.client("dynamodb")
        .get_item(
            TableName=aws.table_name("ConnectionsTable"),
            Key={"connectionId": {"S": connection_id}},
        )
        .get("Item")
    )
    return item


def test_connect_records_the_connection_with_the_user_and_groups_the_authorizer_gave(
    sockets: Sockets, aws: Stack
) -> None:
    assert invoke(event("$connect")) == {"statusCode": 200}

    item = stored(aws)
    assert item is not None
    assert item["userId"] == {"S": "d-1"}
    assert item["groups"] == {"L": [{"S": "driver"}, {"S": "ops"}]}
    assert item["connectedAt"]["S"].endswith("Z")


def test_the_connection_lives_exactly_as_long_as_api_gateway_keeps_one(
    sockets: Sockets, aws: Stack
) -> None:
    invoke(event("$connect"))

    item = stored(aws)
    assert item is not None
    connected = datetime.fromisoformat(item["connectedAt"]["S"].replace("Z", "+00:00"))
    assert int(item["expiresAt"]["N"]) - int(connected.timestamp()) == 2 * 3600


def test_the_connection_ends_when_its_token_expires_if_that_comes_before_two_hours(
    sockets: Sockets, aws: Stack
) -> None:
    token_exp = int(time.time()) + 1800
    connecting = event("$connect", context={"authorizer": {**AUTHORIZER, "exp": str(token_exp)}})

    assert invoke(connecting) == {"statusCode": 200}

    item = stored(aws)
    assert item is not None
    assert item["expiresAt"] == {"N": str(token_exp)}


@pytest.mark.parametrize("exp", [None, "", "soon", "nan", "inf", str(int(time.time()) + 86_400)])
def test_a_token_expiry_missing_unreadable_or_later_leaves_the_two_hours(
    exp: str | None, sockets: Sockets, aws: Stack
) -> None:
    authorizer = AUTHORIZER if exp is None else {**AUTHORIZER, "exp": exp}

    assert invoke(event("$connect", context={"authorizer": authorizer})) == {"statusCode": 200}

    item = stored(aws)
    assert item is not None
    connected = datetime.fromisoformat(item["connectedAt"]["S"].replace("Z", "+00:00"))
    assert int(item["expiresAt"]["N"]) - int(connected.timestamp()) == 2 * 3600


def test_a_connect_whose_token_has_expired_already_is_refused(sockets: Sockets, aws: Stack) -> None:
    expired = {**AUTHORIZER, "exp": str(int(time.time()) - 1)}

    assert invoke(event("$connect", context={"authorizer": expired})) == {"statusCode": 401}
    assert stored(aws) is None


def test_a_connection_past_its_expiry_is_not_among_the_users(sockets: Sockets, aws: Stack) -> None:
    now = time.time()
    for connection_id, exp in (("conn-1", now + 60), ("conn-2", now + 1800)):
        authorizer = {**AUTHORIZER, "exp": str(int(exp))}
        invoke(event("$connect", connection_id, context={"authorizer": authorizer}))
    table = aws.table_name("ConnectionsTable")

    def found(at: float) -> list[str]:
        moment = datetime.fromtimestamp(at, UTC)
        repository = ConnectionRepository(composition.dynamodb(), table, lambda: moment)
        return [c.connection_id for c in repository.of_user("d-1")]

    assert found(now) == ["conn-1", "conn-2"]
    assert found(now + 120) == ["conn-2"]
    assert found(now + 3600) == []


def test_a_users_connection_past_the_cap_is_refused_429_and_recorded_nowhere(
    sockets: Sockets, aws: Stack
) -> None:
    for n in range(10):
        assert invoke(event("$connect", f"conn-{n}")) == {"statusCode": 200}

    assert invoke(event("$connect", "conn-10")) == {"statusCode": 429}
    assert stored(aws, "conn-10") is None
    other = {**AUTHORIZER, "principalId": "d-2", "sub": "d-2"}
    assert invoke(event("$connect", "d2-conn", context={"authorizer": other})) == {
        "statusCode": 200
    }
    invoke(event("$disconnect", "conn-3"))
    assert invoke(event("$connect", "conn-11")) == {"statusCode": 200}


def test_expired_connections_that_ttl_has_not_deleted_yet_do_not_count_toward_the_cap(
    sockets: Sockets, aws: Stack
) -> None:
    past = int(time.time()) - 60
    for n in range(10):
        boto3.client("dynamodb").put_item(
            TableName=aws.table_name("ConnectionsTable"),
            Item={
                "connectionId": {"S": f"old-{n}"},
                "userId": {"S": "d-1"},
                "groups": {"L": [{"S": "driver"}]},
                "connectedAt": {"S": "2026-01-01T00:00:00Z"},
                "expiresAt": {"N": str(past)},
            },
        )

    assert invoke(event("$connect")) == {"statusCode": 200}


def test_the_user_is_findable_by_the_by_user_index(sockets: Sockets, aws: Stack) -> None:
    invoke(event("$connect", "conn-1"))
    invoke(event("$connect", "conn-2"))

    found = ConnectionRepository(composition.dynamodb(), aws.table_name("ConnectionsTable"))
    assert [c.connection_id for c in found.of_user("d-1")] == ["conn-1", "conn-2"]
    assert found.of_user("d-2") == []


def test_a_connect_that_no_authorizer_let_in_is_refused_and_recorded_nowhere(
    sockets: Sockets, aws: Stack
) -> None:
    refused = event("$connect")
    del refused["requestContext"]["authorizer"]

    assert invoke(refused) == {"statusCode": 401}
    assert stored(aws) is None


def test_disconnect_forgets_the_connection_and_a_second_one_is_no_error(
    sockets: Sockets, aws: Stack
) -> None:
    invoke(event("$connect"))

    assert invoke(event("$disconnect")) == {"statusCode": 200}
    assert invoke(event("$disconnect")) == {"statusCode": 200}
    assert stored(aws) is None


def test_a_ping_gets_a_pong_on_its_own_connection(sockets: Sockets, aws: Stack) -> None:
    sockets.expect("ok")

    assert invoke(event("$default", body='{"action":"ping"}')) == {"statusCode": 200}

    sockets.done()
    assert sockets.posted == {"conn-1": [{"type": "pong"}]}


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ('{"action":"subscribe"}', "unknown_action", "'subscribe'"),
        ("hello", "not_json", "JSON object"),
        ("[" * 3000, "too_deep", "nests too deep"),
        ("[1, 2]", "no_action", '"action"'),
        ('{"action": 7}', "no_action", '"action"'),
        ("", "empty_message", "JSON object"),
        ('{"action":"ping","pad":"' + "x" * 5000 + '"}', "message_too_large", "4096 bytes"),
    ],
)
def test_anything_but_a_ping_gets_an_error_frame_that_names_the_problem(
    body: str, code: str, named: str, sockets: Sockets, aws: Stack
) -> None:
    sockets.expect("ok")

    assert invoke(event("$default", body=body)) == {"statusCode": 200}

    (frame,) = sockets.posted["conn-1"]
    assert frame["type"] == "error"
    assert frame["code"] == code
    assert named in frame["message"]
    assert "Traceback" not in frame["message"]


def test_a_binary_frame_is_read_as_utf8_text(sockets: Sockets, aws: Stack) -> None:
    sockets.expect("ok", "ok")
    ping = base64.b64encode(b'{"action":"ping"}').decode()
    garbage = base64.b64encode(b"\xff\xfe").decode()

    invoke(event("$default", body=ping, isBase64Encoded=True))
    invoke(event("$default", body=garbage, isBase64Encoded=True))

    assert [f["type"] for f in sockets.posted["conn-1"]] == ["pong", "error"]


def test_a_ping_from_a_connection_already_gone_removes_it(sockets: Sockets, aws: Stack) -> None:
    invoke(event("$connect"))
    sockets.expect("gone")

    assert invoke(event("$default", body='{"action":"ping"}')) == {"statusCode": 200}
    assert stored(aws) is None

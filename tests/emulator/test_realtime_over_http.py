"""The real-time fixture template in a runtime as `make run` starts it: WebSocket, sign-in, site."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests.emulator.conftest import REALTIME_TEMPLATE
from tests.runtime_http import Api, Reply

pytestmark = pytest.mark.e2e

EVENTS_TABLE = Stack(Template(REALTIME_TEMPLATE)).table_name("EventsTable")
# The fields of API Gateway's events, from captures (aws/aws-lambda-go events/testdata,
# apigw-websocket-request*.json) and the developer guide's REQUEST authorizer input.
CONTEXT_FIELDS = {
    "routeKey",
    "eventType",
    "extendedRequestId",
    "requestTime",
    "messageDirection",
    "stage",
    "connectedAt",
    "requestTimeEpoch",
    "identity",
    "requestId",
    "domainName",
    "connectionId",
    "apiId",
}


def urls(app: Api) -> dict[str, Any]:
    return app.runtime.status()


def recorded(app: Api, kind: str, connection_id: str, timeout: float = 5.0) -> dict[str, Any]:
    dynamodb = app.aws("dynamodb")
    deadline = time.monotonic() + timeout
    while True:
        item = dynamodb.get_item(
            TableName=EVENTS_TABLE, Key={"id": {"S": f"{kind}#{connection_id}"}}
        ).get("Item")
        if item is not None:
            event: dict[str, Any] = json.loads(item["event"]["S"])
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"no {kind} event for {connection_id}")
        time.sleep(0.05)


def echo(client: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    client.send(json.dumps(message))
    answer: dict[str, Any] = json.loads(client.recv(timeout=10))
    return answer


def refused(app: Api, token: str | None, **query: str) -> int:
    with pytest.raises(InvalidStatus) as refusal:
        app.runtime.websocket(token, query=query)
    return refusal.value.response.status_code


def request(
    base_url: str, method: str, path: str, body: bytes | None = None, **headers: str
) -> Reply:
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Reply(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


# ---------------------------------------------------------------------------- addresses
def test_the_runtime_serves_and_publishes_its_websocket_dashboard_and_identity(
    realtime: Api,
) -> None:
    status = urls(realtime)

    assert status["websocket"].startswith("ws://127.0.0.1:") and status["websocket"].endswith(
        "/live"
    )
    assert status["outputs"]["WebSocketUrl"] == status["websocket"]
    assert status["outputs"]["DashboardUrl"] == status["dashboard"]
    assert status["outputs"]["SignInDomainUrl"] == status["identity"]


def test_functions_get_the_local_jwks_url_from_the_pools_provider_url(realtime: Api) -> None:
    status = urls(realtime)
    pool = Stack(Template(REALTIME_TEMPLATE)).ref("UserPool")

    jwks_url = realtime.request("GET", "/hello").json["jwksUrl"]

    assert jwks_url == f"{status['identity']}/{pool}/.well-known/jwks.json"
    jwks = request(status["identity"], "GET", urlsplit(jwks_url).path).json
    assert jwks["keys"][0]["kid"]


# ---------------------------------------------------------------------------- WebSocket
def test_a_connection_runs_the_authorizer_and_connect_with_api_gateways_event_shapes(
    realtime: Api,
) -> None:
    with realtime.runtime.websocket("d-42") as client:
        answer = echo(client, {"action": "nothing-routed", "n": 1})

    connection_id = answer["connectionId"]
    authorizer = recorded(realtime, "authorizer", connection_id)
    connect = recorded(realtime, "connect", connection_id)
    assert set(authorizer) == {
        "type",
        "methodArn",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "stageVariables",
        "requestContext",
    }
    assert set(authorizer["requestContext"]) == CONTEXT_FIELDS
    assert authorizer["methodArn"].endswith("/live/$connect")
    assert set(connect["requestContext"]) == CONTEXT_FIELDS | {"authorizer", "messageId"}
    assert connect["requestContext"]["authorizer"] == {"principalId": "d-42", "userId": "d-42"}
    assert answer["route"] == "$default"
    assert answer["authorizer"] == {"principalId": "d-42", "userId": "d-42"}


def test_closing_invokes_disconnect(realtime: Api) -> None:
    with realtime.runtime.websocket("d-43") as client:
        connection_id = echo(client, {"action": "x"})["connectionId"]

    disconnect = recorded(realtime, "disconnect", connection_id)
    assert set(disconnect["requestContext"]) == CONTEXT_FIELDS | {
        "authorizer",
        "disconnectStatusCode",
        "disconnectReason",
    }
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1000


def test_a_function_pushes_through_boto3s_management_api_at_the_websocket_endpoint(
    realtime: Api,
) -> None:
    with realtime.runtime.websocket("d-44") as client:
        client.send(json.dumps({"action": "push"}))
        first = client.recv(timeout=10)
        second = json.loads(client.recv(timeout=10))

    assert first == "pushed"
    assert second == {"gone": "yes", "sourceIp": "127.0.0.1"}


@pytest.mark.parametrize(
    ("token", "query", "status"),
    [
        (None, {}, 401),
        ("deny", {}, 403),
        ("unauthorized", {}, 401),
        ("d-45", {"refuse": "403"}, 403),
    ],
)
def test_a_refused_handshake_gets_api_gateways_status(
    realtime: Api, token: str | None, query: dict[str, str], status: int
) -> None:
    assert refused(realtime, token, **query) == status


def test_moving_the_runtimes_clock_ten_minutes_closes_an_idle_connection(realtime: Api) -> None:
    with realtime.runtime.websocket("d-46") as client:
        connection_id = echo(client, {"action": "x"})["connectionId"]
        realtime.runtime.advance_clock(600)

        with pytest.raises(ConnectionClosed):
            client.recv(timeout=5)

    disconnect = recorded(realtime, "disconnect", connection_id)
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1001


# --------------------------------------------------------------------------------- CORS
def test_the_http_api_answers_the_dashboards_preflight_and_replaces_the_backends_cors(
    realtime: Api,
) -> None:
    dashboard = urls(realtime)["dashboard"]

    preflight = realtime.request(
        "OPTIONS",
        "/me",
        headers={
            "Origin": dashboard,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    hello = realtime.request("GET", "/hello", headers={"Origin": dashboard})
    elsewhere = realtime.request("GET", "/hello", headers={"Origin": "https://evil.example"})

    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == dashboard
    assert preflight.headers["access-control-allow-headers"] == "authorization,content-type"
    assert hello.headers["access-control-allow-origin"] == dashboard
    assert "access-control-allow-origin" not in elsewhere.headers


# ----------------------------------------------------------------------------- sign-in
def test_signing_in_with_code_and_pkce_gives_a_token_the_http_api_accepts(realtime: Api) -> None:
    status = urls(realtime)
    config = json.loads(request(status["dashboard"], "GET", "/config.json").body)
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    redirect_uri = f"{status['dashboard']}/"
    params = {
        "response_type": "code",
        "client_id": config["auth"]["clientId"],
        "redirect_uri": redirect_uri,
        "state": "s",
        "scope": config["auth"]["scope"],
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    authorize = urlsplit(config["auth"]["authorizeUrl"])

    page = request(status["identity"], "GET", f"{authorize.path}?{urlencode(params)}")
    chosen = urlencode({**params, "role": "driver", "sub": "d-47"}).encode()
    redirect = request(
        status["identity"],
        "POST",
        authorize.path,
        chosen,
        Content_Type="application/x-www-form-urlencoded",
    )
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "client_id": config["auth"]["clientId"],
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    ).encode()
    tokens = request(
        status["identity"],
        "POST",
        urlsplit(config["auth"]["tokenUrl"]).path,
        form,
        Content_Type="application/x-www-form-urlencoded",
        Origin=status["dashboard"],
    )

    assert page.status == 200
    assert redirect.headers["location"].startswith(redirect_uri)
    assert tokens.status == 200, tokens.body
    assert tokens.headers["access-control-allow-origin"] == status["dashboard"]
    assert realtime.request("GET", "/me", token=tokens.json["id_token"]).status == 200
    assert realtime.request("GET", "/me").status == 401


# ---------------------------------------------------------------------------- dashboard
def test_the_dashboard_serves_the_buckets_site_and_its_config(realtime: Api) -> None:
    status = urls(realtime)

    index = request(status["dashboard"], "GET", "/")
    script = request(status["dashboard"], "GET", "/app.js")
    config = json.loads(request(status["dashboard"], "GET", "/config.json").body)

    assert b"Probe site" in index.body
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert config["api"] == status["api"]
    assert config["websocket"] == status["websocket"]
    assert config["auth"]["authorizeUrl"] == f"{status['identity']}/oauth2/authorize"
    assert config["auth"]["clientId"] == status["outputs"]["UserPoolClientId"]
    assert request(status["dashboard"], "GET", "/../realtime.yaml").status == 404

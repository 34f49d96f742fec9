"""The local HTTP API applies its CorsConfiguration as API Gateway applies an HTTP API's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from infra.local_runtime.authorizer import JwtAuthorizer
from infra.local_runtime.cors import CorsPolicy
from infra.local_runtime.gateway import HttpApiGateway, HttpResponse, Route

DASHBOARD = "http://127.0.0.1:3002"
POLICY = CorsPolicy(
    allow_origins=(DASHBOARD,),
    allow_headers=("authorization", "content-type", "idempotency-key"),
    allow_methods=("GET", "POST", "PUT", "DELETE"),
    expose_headers=("apigw-requestid",),
    max_age=600,
)
# Signed by no key the authorizer knows: any token is refused.
AUTHORIZER = JwtAuthorizer(name="Jwt", issuer="https://issuer", audience=("a",), jwks={"keys": []})


class Backend:
    """Counts the calls; answers with its own CORS headers, which the gateway must replace."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, function_id: str, event: dict[str, Any], trigger: str) -> HttpResponse:
        self.calls.append(event["routeKey"])
        headers = [("content-type", "application/json"), ("Access-Control-Allow-Origin", "*")]
        return HttpResponse(200, headers, b"{}")


@pytest.fixture
def backend() -> Backend:
    return Backend()


@pytest.fixture
def gateway(backend: Backend) -> Iterator[HttpApiGateway]:
    routes = [
        Route("GET", "/open", "Fn", None),
        Route("POST", "/secured", "Fn", AUTHORIZER),
        Route("OPTIONS", "/own-options", "Fn", None),
    ]
    yield HttpApiGateway(routes, backend, account_id="1", api_id="a", port=0, cors=POLICY)


def call(
    gateway: HttpApiGateway, method: str, path: str, **headers: str
) -> tuple[int, dict[str, str]]:
    sent = [(name.replace("_", "-"), value) for name, value in headers.items()]
    response = gateway.handle(method, path, sent, b"", "127.0.0.1")
    names = [name.lower() for name, _ in response.headers]
    assert len(names) == len(set(names)), f"a header twice: {response.headers}"
    return response.status, {name.lower(): value for name, value in response.headers}


def test_a_preflight_is_answered_by_the_gateway_without_a_function_or_an_authorizer(
    gateway: HttpApiGateway, backend: Backend
) -> None:
    status, headers = call(
        gateway,
        "OPTIONS",
        "/secured",
        Origin=DASHBOARD,
        Access_Control_Request_Method="POST",
        Access_Control_Request_Headers="authorization,content-type",
    )

    assert status == 204
    assert backend.calls == []
    assert headers["access-control-allow-origin"] == DASHBOARD
    assert headers["access-control-allow-methods"] == "GET,POST,PUT,DELETE"
    assert headers["access-control-allow-headers"] == "authorization,content-type,idempotency-key"
    assert headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in headers


def test_a_preflight_even_for_a_path_with_no_route_is_the_gateways(
    gateway: HttpApiGateway, backend: Backend
) -> None:
    status, headers = call(
        gateway, "OPTIONS", "/nowhere", Origin=DASHBOARD, Access_Control_Request_Method="GET"
    )

    assert status == 204
    assert headers["access-control-allow-origin"] == DASHBOARD


def test_a_preflight_from_an_origin_not_allowed_gets_no_cors_headers(
    gateway: HttpApiGateway, backend: Backend
) -> None:
    status, headers = call(
        gateway,
        "OPTIONS",
        "/secured",
        Origin="https://evil.example",
        Access_Control_Request_Method="POST",
    )

    assert status == 204
    assert not [name for name in headers if name.startswith("access-control-")]
    assert backend.calls == []


def test_a_route_that_takes_options_itself_gets_the_preflight(
    gateway: HttpApiGateway, backend: Backend
) -> None:
    status, headers = call(
        gateway, "OPTIONS", "/own-options", Origin=DASHBOARD, Access_Control_Request_Method="GET"
    )

    assert (status, backend.calls) == (200, ["OPTIONS /own-options"])
    assert headers["access-control-allow-origin"] == DASHBOARD


def test_an_options_request_that_is_no_preflight_is_routed_as_any_other(
    gateway: HttpApiGateway,
) -> None:
    status, _ = call(gateway, "OPTIONS", "/open", Origin=DASHBOARD)

    assert status == 404


def test_the_backends_cors_headers_are_replaced_by_the_configured_ones(
    gateway: HttpApiGateway,
) -> None:
    status, headers = call(gateway, "GET", "/open", Origin=DASHBOARD)

    assert status == 200
    assert headers["access-control-allow-origin"] == DASHBOARD
    assert headers["access-control-expose-headers"] == "apigw-requestid"
    assert "access-control-max-age" not in headers  # a preflight's header only


def test_a_response_to_an_origin_not_allowed_carries_no_cors_headers_not_even_the_backends(
    gateway: HttpApiGateway,
) -> None:
    for origin in ({"Origin": "https://evil.example"}, {}):
        status, headers = call(gateway, "GET", "/open", **origin)

        assert status == 200
        assert not [name for name in headers if name.startswith("access-control-")]


def test_the_gateways_own_401_carries_the_cors_headers_so_the_page_can_read_it(
    gateway: HttpApiGateway,
) -> None:
    status, headers = call(gateway, "POST", "/secured", Origin=DASHBOARD)

    assert status == 401
    assert headers["access-control-allow-origin"] == DASHBOARD


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (None, None),
        (False, None),
        (True, CorsPolicy(("*",), ("*",), ("*",))),
        (
            {
                "AllowOrigins": ["https://fleet.example.com"],
                "AllowHeaders": ["Authorization"],
                "AllowMethods": ["get"],
                "MaxAge": 600,
                "AllowCredentials": "true",
            },
            CorsPolicy(
                ("https://fleet.example.com",),
                ("authorization",),
                ("GET",),
                max_age=600,
                allow_credentials=True,
            ),
        ),
    ],
)
def test_sams_cors_configuration_forms_are_read(configuration: Any, expected: Any) -> None:
    assert CorsPolicy.from_configuration(configuration) == expected


def test_a_wildcard_origin_answers_star_unless_credentials_are_allowed() -> None:
    anyone = CorsPolicy(("*",))
    with_credentials = CorsPolicy(("*",), allow_credentials=True)
    https_only = CorsPolicy(("https://*",))

    assert (
        dict(anyone.apply([], {"origin": "https://a.example"}))["access-control-allow-origin"]
        == "*"
    )
    assert (
        dict(with_credentials.apply([], {"origin": "https://a.example"}))[
            "access-control-allow-origin"
        ]
        == "https://a.example"
    )
    assert https_only.allows("https://a.example") and not https_only.allows("http://a.example")

"""The local identity provider: Cognito's authorization code flow with PKCE, and its refusals."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from infra.local_runtime.authorizer import JwtAuthorizer, SigningKey
from infra.local_runtime.identity import CODE_TTL_SECONDS, IdentityProvider
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests import runtime_http
from tests.emulator.conftest import REALTIME_TEMPLATE

ORIGIN = "http://127.0.0.1:3002"
REDIRECT = f"{ORIGIN}/"


class Reply(runtime_http.Reply):
    @property
    def redirect(self) -> dict[str, list[str]]:
        location = urlsplit(self.headers["location"])
        return parse_qs(location.query)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Provider:
    identity: IdentityProvider
    clock: Clock
    stack: Stack
    key: SigningKey

    @property
    def client_id(self) -> str:
        return str(self.stack.ref("UserPoolClient"))

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> Reply:
        url = urlsplit(self.identity.url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        body = urlencode(form).encode() if form is not None else None
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if form is not None:
            sent["content-type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Reply(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def authorize_params(self, verifier: str, **overrides: str) -> dict[str, str]:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "state": "st-1",
            "scope": "openid email profile",
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return params

    def code(self, verifier: str, role: str = "driver", sub: str = "d-7") -> str:
        params = self.authorize_params(verifier)
        reply = self.request("POST", "/oauth2/authorize", {**params, "role": role, "sub": sub})
        assert reply.status == 302, reply.body
        return reply.redirect["code"][0]

    def token(self, code: str, verifier: str, **overrides: str) -> Reply:
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        form.update(overrides)
        return self.request("POST", "/oauth2/token", form, Origin=ORIGIN)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def provider(key: SigningKey) -> Iterator[Provider]:
    stack = Stack(Template(REALTIME_TEMPLATE), parameter_overrides={"DashboardOrigin": ORIGIN})
    clock = Clock()
    identity = IdentityProvider(stack, key, clock=clock, port=0)
    identity.server.start()
    try:
        yield Provider(identity, clock, stack, key)
    finally:
        identity.server.stop()


def verifier() -> str:
    return secrets.token_urlsafe(32)


def test_the_sign_in_page_offers_the_pools_groups_with_labels(provider: Provider) -> None:
    query = urlencode(provider.authorize_params(verifier()))

    reply = provider.request("GET", f"/oauth2/authorize?{query}")

    page = reply.body.decode()
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    for role in ("customer", "driver", "retailer", "ops"):
        assert f'value="{role}"' in page
    assert '<label for="sub">User id</label>' in page
    assert "<legend>Role</legend>" in page
    assert 'name="code_challenge"' in page  # the request rides along in the form


def test_the_sign_in_page_picks_driver_first_and_names_an_icon_so_no_favicon_is_fetched(
    provider: Provider,
) -> None:
    query = urlencode(provider.authorize_params(verifier()))

    page = provider.request("GET", f"/oauth2/authorize?{query}").body.decode()

    checked = re.findall(r'<input type="radio" name="role" value="(\w+)" checked', page)
    assert checked == ["driver"]  # not the pool's first group, customer
    assert '<link rel="icon" href="data:,">' in page


def test_code_and_pkce_give_a_cognito_shaped_id_token_the_api_accepts(provider: Provider) -> None:
    secret = verifier()
    code = provider.code(secret, role="ops", sub="ops-1")

    reply = provider.token(code, secret)

    assert reply.status == 200, reply.body
    tokens = reply.json
    assert set(tokens) == {"id_token", "access_token", "expires_in", "token_type"}
    assert tokens["token_type"] == "Bearer"
    assert reply.headers["access-control-allow-origin"] == ORIGIN
    assert reply.headers["cache-control"] == "no-store"
    authorizer = JwtAuthorizer(
        name="Jwt",
        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{provider.stack.ref('UserPool')}",
        audience=(provider.client_id,),
        jwks=provider.key.jwks,
        clock=provider.clock,
    )
    claims = authorizer.authorize({"authorization": tokens["id_token"]})
    assert (claims["sub"], claims["cognito:groups"], claims["token_use"]) == (
        "ops-1",
        ["ops"],
        "id",
    )
    access = authorizer.authorize({"authorization": tokens["access_token"]})
    assert (access["client_id"], access["token_use"]) == (provider.client_id, "access")


def test_the_redirect_carries_the_state_back(provider: Provider) -> None:
    params = provider.authorize_params(verifier(), state="keep-me")

    reply = provider.request("POST", "/oauth2/authorize", {**params, "role": "driver", "sub": "d"})

    assert reply.headers["location"].startswith(REDIRECT + "?")
    assert reply.redirect["state"] == ["keep-me"]


def test_a_wrong_verifier_is_invalid_grant(provider: Provider) -> None:
    code = provider.code(verifier())

    reply = provider.token(code, verifier())

    assert (reply.status, reply.json["error"]) == (400, "invalid_grant")


def test_a_code_is_single_use_even_after_a_failed_attempt(provider: Provider) -> None:
    secret = verifier()
    code = provider.code(secret)
    assert provider.token(code, secret).status == 200

    reply = provider.token(code, secret)

    assert (reply.status, reply.json["error"]) == (400, "invalid_grant")
    other = provider.code(secret)
    assert provider.token(other, "wrong").status == 400
    assert provider.token(other, secret).json["error"] == "invalid_grant"


def test_a_code_expires_five_minutes_after_issue_on_the_runtimes_clock(
    provider: Provider,
) -> None:
    secret = verifier()
    code = provider.code(secret)
    provider.clock.now += CODE_TTL_SECONDS

    assert provider.token(code, secret).json["error"] == "invalid_grant"


def test_an_unknown_redirect_uri_gets_an_error_page_and_no_redirect(provider: Provider) -> None:
    query = urlencode(provider.authorize_params(verifier(), redirect_uri="https://evil.example/"))

    reply = provider.request("GET", f"/oauth2/authorize?{query}")

    assert reply.status == 400
    assert "location" not in reply.headers
    assert b"redirect_mismatch" in reply.body


def test_an_unknown_client_id_gets_an_error_page(provider: Provider) -> None:
    query = urlencode(provider.authorize_params(verifier(), client_id="nobody"))

    reply = provider.request("GET", f"/oauth2/authorize?{query}")

    assert reply.status == 400
    assert b"invalid_client" in reply.body


def test_a_code_presented_by_another_client_is_refused(provider: Provider) -> None:
    secret = verifier()
    code = provider.code(secret)

    unknown = provider.token(code, secret, client_id="nobody")
    other = provider.token(
        provider.code(secret), secret, client_id=str(provider.stack.ref("OtherClient"))
    )

    assert (unknown.status, unknown.json["error"]) == (400, "invalid_client")
    assert (other.status, other.json["error"]) == (400, "invalid_grant")


def test_a_redirect_uri_at_the_token_endpoint_must_match_the_authorize_one(
    provider: Provider,
) -> None:
    secret = verifier()

    reply = provider.token(provider.code(secret), secret, redirect_uri=f"{ORIGIN}/elsewhere")

    assert reply.json["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "openid aws.cognito.signin.user.admin"}, "invalid_scope"),
    ],
)
def test_a_bad_authorize_request_goes_back_to_the_page_with_an_error_and_the_state(
    provider: Provider, overrides: dict[str, str], error: str
) -> None:
    query = urlencode(provider.authorize_params(verifier(), **overrides))

    reply = provider.request("GET", f"/oauth2/authorize?{query}")

    assert reply.status == 302
    assert reply.redirect["error"] == [error]
    assert reply.redirect["state"] == ["st-1"]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": ""}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"code_verifier": ""}, "invalid_request"),
    ],
)
def test_a_bad_token_request_is_an_oauth_error(
    provider: Provider, form: dict[str, str], error: str
) -> None:
    secret = verifier()

    reply = provider.token(provider.code(secret), secret, **form)

    assert (reply.status, reply.json["error"]) == (400, error)


def test_an_unknown_role_or_an_empty_user_id_shows_the_page_again(provider: Provider) -> None:
    params = provider.authorize_params(verifier())

    for chosen in ({"role": "admin", "sub": "x"}, {"role": "driver", "sub": ""}):
        reply = provider.request("POST", "/oauth2/authorize", {**params, **chosen})

        assert reply.status == 400
        assert b'role="alert"' in reply.body


def test_the_token_endpoints_preflight_allows_the_dashboard_origin_only(
    provider: Provider,
) -> None:
    allowed = provider.request(
        "OPTIONS", "/oauth2/token", Origin=ORIGIN, Access_Control_Request_Method="POST"
    )
    other = provider.request(
        "OPTIONS",
        "/oauth2/token",
        Origin="https://evil.example",
        Access_Control_Request_Method="POST",
    )

    assert allowed.status == 204
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "content-type" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-origin" not in other.headers


def test_the_jwks_is_served_under_the_pool_id(provider: Provider) -> None:
    pool = provider.stack.ref("UserPool")

    reply = provider.request("GET", f"/{pool}/.well-known/jwks.json")

    assert reply.json == provider.key.jwks
    assert provider.request("GET", "/us-east-1_Nobody/.well-known/jwks.json").status == 404


def test_logout_redirects_to_a_logout_url_of_the_client_only(provider: Provider) -> None:
    good = urlencode({"client_id": provider.client_id, "logout_uri": REDIRECT})
    bad = urlencode({"client_id": provider.client_id, "logout_uri": "https://evil.example/"})

    assert provider.request("GET", f"/logout?{good}").headers["location"] == REDIRECT
    assert provider.request("GET", f"/logout?{bad}").status == 400

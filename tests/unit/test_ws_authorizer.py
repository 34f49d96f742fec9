"""The WebSocket API's REQUEST authorizer: the ID token in the query string, checked by the HTTP API
authorizer's rules against a real RSA key and the JWKS PyJWKClient fetches (its fetch is stood in
for here, so nothing leaves the process), answered with the IAM policy API Gateway expects."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient

from flexfleet import composition
from functions.ws_authorizer import app
from tests.factories import lambda_context

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool"
AUDIENCE = "flexfleet-client"
JWKS_URL = f"{ISSUER}/.well-known/jwks.json"
KID = "key-1"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def fetches(key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The issuer's JWKS, as PyJWKClient would fetch it from JWKS_URL; the URLs fetched."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}
    fetched: list[str] = []

    def fetch(client: PyJWKClient) -> Any:
        fetched.append(client.uri)
        return jwks

    monkeypatch.setattr(PyJWKClient, "fetch_data", fetch)
    monkeypatch.setenv("TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("TOKEN_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("JWKS_URL", JWKS_URL)
    composition.token_verifier.cache_clear()
    composition.clock.cache_clear()
    yield fetched
    composition.token_verifier.cache_clear()
    composition.clock.cache_clear()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "d-1",
        "cognito:groups": ["driver"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def token(key: rsa.RSAPrivateKey, **changes: Any) -> str:
    kid = changes.pop("kid", KID)
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers={"kid": kid})


def authorize(raw_token: str | None, *, parameters: bool = True) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": {},
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"},
    }
    if parameters:
        event["queryStringParameters"] = {} if raw_token is None else {"token": raw_token}
    answer: dict[str, Any] = app.lambda_handler(event, lambda_context())
    return answer


def effect(answer: dict[str, Any]) -> str:
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == METHOD_ARN
    return str(statement["Effect"])


def test_a_good_token_is_allowed_with_its_sub_groups_and_expiry_as_strings(
    key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    expires = int(time.time()) + 1800
    answer = authorize(token(key, exp=expires + 0.75, **{"cognito:groups": ["driver", "ops"]}))

    assert effect(answer) == "Allow"
    assert answer["principalId"] == "d-1"
    assert answer["context"] == {"sub": "d-1", "groups": "driver ops", "exp": str(expires)}
    assert fetches == [JWKS_URL]


def test_the_jwks_is_fetched_once_for_many_connections(
    key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    for _ in range(3):
        assert effect(authorize(token(key))) == "Allow"

    assert fetches == [JWKS_URL]


def test_an_access_token_whose_client_id_is_the_audience_is_allowed_as_api_gateway_allows_it(
    key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    access = token(key, aud=None, client_id=AUDIENCE, token_use="access")

    assert effect(authorize(access)) == "Allow"


# Times are seconds from now, read when the test runs (a long session must not age them).
@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("wrong issuer", {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}),
        ("wrong audience", {"aud": "another-client"}),
        ("an audience list without ours", {"aud": ["another-client", "a-third"]}),
        ("expired", {"exp": -1}),
        ("issued in the future", {"iat": 600}),
        ("not valid yet", {"nbf": 600}),
        ("no expiry", {"exp": None}),
        ("an expiry that is not a number", {"exp": "tomorrow"}),
        ("no groups", {"cognito:groups": None}),
        ("an empty group list", {"cognito:groups": []}),
        ("only groups that are no role of the app", {"cognito:groups": ["admins", "Driver"]}),
        ("no sub", {"sub": None}),
    ],
)
def test_a_token_the_http_api_would_refuse_is_denied(
    case: str, changes: dict[str, Any], key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    now = int(time.time())
    timed = {
        name: now + value if name in ("exp", "iat", "nbf") and isinstance(value, int) else value
        for name, value in changes.items()
    }

    answer = authorize(token(key, **timed))

    assert effect(answer) == "Deny", case
    assert "context" not in answer


def test_a_token_signed_by_another_key_under_the_issuers_key_id_is_denied(
    other_key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    assert effect(authorize(token(other_key))) == "Deny"


def test_a_token_signed_by_a_key_the_issuer_does_not_have_is_denied(
    key: rsa.RSAPrivateKey, fetches: list[str]
) -> None:
    assert effect(authorize(token(key, kid="key-unknown"))) == "Deny"


def test_a_token_that_names_no_rsa_algorithm_is_denied(fetches: list[str]) -> None:
    unsigned = jwt.encode(claims(), "a shared secret of at least thirty-two bytes", "HS256")

    assert effect(authorize(unsigned)) == "Deny"


@pytest.mark.parametrize(
    "raw",
    ["", "not-a-token", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "e30.e30.e30", "...."],
)
def test_a_malformed_token_is_denied(raw: str, fetches: list[str]) -> None:
    assert effect(authorize(raw)) == "Deny"


def test_a_connection_without_a_token_is_denied(fetches: list[str]) -> None:
    assert effect(authorize(None)) == "Deny"
    assert effect(authorize(None, parameters=False)) == "Deny"
    assert fetches == []


def test_a_jwks_that_cannot_be_fetched_denies_rather_than_failing(
    key: rsa.RSAPrivateKey, fetches: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(client: PyJWKClient) -> Any:
        raise jwt.PyJWKClientConnectionError("Fail to fetch data from the url")

    monkeypatch.setattr(PyJWKClient, "fetch_data", unreachable)

    assert effect(authorize(token(key))) == "Deny"


def test_a_token_is_judged_by_the_functions_clock_which_the_local_runtime_moves(
    key: rsa.RSAPrivateKey,
    fetches: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """Tests move the local runtime's clock, and tokens are minted at the moved time."""
    clock_file = tmp_path / "clock.json"
    clock_file.write_text(json.dumps({"offsetSeconds": 86_400}))
    monkeypatch.setenv("LOCAL_RUNTIME_CLOCK_FILE", str(clock_file))
    tomorrow = int(time.time()) + 86_400

    assert effect(authorize(token(key, iat=tomorrow, exp=tomorrow + 3600))) == "Allow"
    assert effect(authorize(token(key))) == "Deny"  # expired, by the moved clock

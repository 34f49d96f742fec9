"""The local JWT authorizer refuses what API Gateway refuses, with 401 reasons to match."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from infra.local_runtime.authorizer import (
    JwtAuthorizer,
    SigningKey,
    Unauthorized,
    cognito_id_token_claims,
    render_claims,
)

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool"
AUDIENCE = "localuserpoolclient"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return SigningKey(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def authorizer(key: SigningKey) -> JwtAuthorizer:
    return JwtAuthorizer(name="CognitoJwt", issuer=ISSUER, audience=(AUDIENCE,), jwks=key.jwks)


def claims(**overrides: object) -> dict[str, object]:
    base = cognito_id_token_claims(issuer=ISSUER, audience=AUDIENCE, sub="d-123", groups=["driver"])
    base.update(overrides)
    return base


def refusal(authorizer: JwtAuthorizer, header: str | None) -> str | None:
    with pytest.raises(Unauthorized) as refused:
        authorizer.authorize({} if header is None else {"authorization": header})
    return refused.value.description


def test_a_valid_token_yields_its_claims(authorizer: JwtAuthorizer, key: SigningKey) -> None:
    token = key.sign(claims())

    accepted = authorizer.authorize({"authorization": f"Bearer {token}"})

    assert accepted["sub"] == "d-123"
    assert accepted["cognito:groups"] == ["driver"]


def test_a_token_without_the_bearer_prefix_is_accepted_as_api_gateway_does(
    authorizer: JwtAuthorizer, key: SigningKey
) -> None:
    assert authorizer.authorize({"authorization": key.sign(claims())})["sub"] == "d-123"


def test_a_missing_token_is_refused(authorizer: JwtAuthorizer) -> None:
    assert refusal(authorizer, None) is None
    assert refusal(authorizer, "Bearer ") is None


def test_a_malformed_token_is_refused(authorizer: JwtAuthorizer) -> None:
    assert refusal(authorizer, "Bearer not-a-jwt") == "the token is malformed"


def test_an_expired_token_is_refused(authorizer: JwtAuthorizer, key: SigningKey) -> None:
    past = time.time() - 7200
    token = key.sign(claims(iat=int(past), exp=int(past) + 60))

    assert refusal(authorizer, f"Bearer {token}") == "the token has expired"


def test_a_token_signed_by_another_key_is_refused(
    authorizer: JwtAuthorizer, tmp_path: Path
) -> None:
    stranger = SigningKey(tmp_path)

    assert (
        refusal(authorizer, f"Bearer {stranger.sign(claims())}")
        == "the token does not have a valid signature"
    )


def test_a_token_whose_signature_was_tampered_with_is_refused(
    authorizer: JwtAuthorizer, key: SigningKey
) -> None:
    header, payload, signature = key.sign(claims()).split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"driver", b"opsxxx")
    ).decode()

    assert (
        refusal(authorizer, f"Bearer {header}.{forged_payload}.{signature}")
        == "the token does not have a valid signature"
    )


def test_a_token_for_another_audience_is_refused(
    authorizer: JwtAuthorizer, key: SigningKey
) -> None:
    token = key.sign(claims(aud="some-other-client"))

    assert refusal(authorizer, f"Bearer {token}") == "the token does not have a valid audience"


def test_an_access_token_is_checked_by_client_id_when_it_has_no_aud(
    authorizer: JwtAuthorizer, key: SigningKey
) -> None:
    good, bad = claims(client_id=AUDIENCE), claims(client_id="other")
    del good["aud"], bad["aud"]

    assert authorizer.authorize({"authorization": key.sign(good)})["sub"] == "d-123"
    assert refusal(authorizer, key.sign(bad)) == "the token does not have a valid audience"


def test_a_token_from_another_issuer_is_refused(authorizer: JwtAuthorizer, key: SigningKey) -> None:
    token = key.sign(claims(iss="https://cognito-idp.us-east-1.amazonaws.com/elsewhere"))

    assert refusal(authorizer, f"Bearer {token}") == "the token does not have a valid issuer"


def test_a_token_not_yet_valid_is_refused(authorizer: JwtAuthorizer, key: SigningKey) -> None:
    token = key.sign(claims(nbf=int(time.time()) + 600))

    assert refusal(authorizer, f"Bearer {token}") == "the token is not valid yet"


def test_the_authorizer_reads_time_from_the_runtime_clock(key: SigningKey) -> None:
    later = JwtAuthorizer(
        name="CognitoJwt",
        issuer=ISSUER,
        audience=(AUDIENCE,),
        jwks=key.jwks,
        clock=lambda: time.time() + 7200,
    )

    assert refusal(later, f"Bearer {key.sign(claims())}") == "the token has expired"


def test_a_refusal_says_why_in_www_authenticate() -> None:
    header = Unauthorized("the token has expired").www_authenticate

    assert (
        header == 'Bearer scope="" error="invalid_token" error_description="the token has expired"'
    )


def test_claims_reach_lambda_as_strings_with_arrays_in_brackets() -> None:
    rendered = render_claims(
        {"sub": "d-1", "cognito:groups": ["driver", "ops"], "exp": 17, "x": True}
    )

    assert rendered == {"sub": "d-1", "cognito:groups": "[driver ops]", "exp": "17", "x": "true"}


def test_the_signing_key_is_kept_so_that_token_and_run_agree(tmp_path: Path) -> None:
    first, second = SigningKey(tmp_path), SigningKey(tmp_path)

    assert first.kid == second.kid
    assert first.jwks == second.jwks

"""The local JWT authorizer refuses what API Gateway refuses, with 401 reasons to match."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.local_runtime.authorizer import (
    JwtAuthorizer,
    SigningKey,
    Unauthorized,
    cognito_id_token_claims,
    render_claims,
)

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool"
AUDIENCE = "localuserpoolclient"
# A public key of the right shape for the fuzz test; no token it sees is signed by its pair.
_FUZZ_JWKS = {"keys": [{"kty": "RSA", "kid": "", "n": "sXch", "e": "AQAB", "alg": "RS256"}]}


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


def unsigned(header: object, payload: object = None, signature: str = "AA") -> str:
    """A token of these JSON values, as a client may send it, signed by nobody."""

    def segment(value: object) -> str:
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        return jwt.utils.base64url_encode(raw).decode()

    return f"{segment(header)}.{segment({} if payload is None else payload)}.{signature}"


@pytest.mark.parametrize("kid", [None, 1, 1.5, True, [], ["kid"], {}, {"kid": "x"}])
def test_a_token_whose_kid_is_not_a_string_is_refused(
    authorizer: JwtAuthorizer, kid: object
) -> None:
    assert refusal(authorizer, f"Bearer {unsigned({'alg': 'RS256', 'kid': kid})}") is not None


@pytest.mark.parametrize("crit", [["x"], ["exp"], [], "x", None, 1, [1], {}])
def test_a_token_with_a_critical_extension_is_refused_even_when_signed(
    authorizer: JwtAuthorizer, key: SigningKey, crit: object
) -> None:
    token = key.sign(claims(), headers={"crit": crit, "x": 1})

    assert refusal(authorizer, f"Bearer {token}") is not None


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none"},
        {"alg": "HS256"},
        {"alg": None},
        {"alg": 256},
        {"alg": ["RS256"]},
        {},
    ],
)
def test_a_token_whose_algorithm_is_not_rsa_is_refused(
    authorizer: JwtAuthorizer, key: SigningKey, header: dict[str, object]
) -> None:
    token = unsigned({**header, "kid": key.kid}, claims(), signature="")

    assert refusal(authorizer, f"Bearer {token}") is not None


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",
        "...",
        "e30.e30",
        "e30.e30.AA.AA",
        unsigned([1]),
        unsigned("RS256"),
        unsigned(b"\xff\xfe"),
        unsigned(b'{"alg": NaN}'),
        unsigned(b'{"alg": "RS256", "alg": "HS256"}'),
        unsigned({"alg": "RS256"}, payload=[1, 2]),
        unsigned({"alg": "RS256"}, payload="claims"),
        unsigned({"alg": "RS256"}, payload=b"\x00"),
        unsigned(b"[" * 100_000 + b"]" * 100_000),
        unsigned({"alg": "RS256", "kid": "k" * 40_000}),
        "e30.e30.!!",
        "\u00e9.e30.AA",
    ],
)
def test_a_token_that_is_not_a_jws_of_two_json_objects_is_refused(
    authorizer: JwtAuthorizer, token: str
) -> None:
    assert refusal(authorizer, f"Bearer {token}") is not None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


@given(
    header=st.one_of(
        _json,
        st.fixed_dictionaries(
            {},
            optional={
                "alg": st.sampled_from(["RS256", "RS512", "HS256", "none", ""]) | _json,
                "kid": _json,
                "crit": _json,
                "typ": _json,
            },
        ),
    ),
    payload=_json,
    signature=st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=12),
)
def test_no_header_or_payload_shape_escapes_the_authorizer_as_anything_but_a_401(
    header: object, payload: object, signature: str
) -> None:
    authorizer = JwtAuthorizer(name="Jwt", issuer=ISSUER, audience=(AUDIENCE,), jwks=_FUZZ_JWKS)

    with pytest.raises(Unauthorized):
        authorizer.authorize({"authorization": f"Bearer {unsigned(header, payload, signature)}"})


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value", ["inf", "nan", "-inf", "Infinity", "4102444800", "0", True, False, None, [1], {}]
)
def test_a_signed_token_whose_times_are_not_json_numbers_is_refused(
    authorizer: JwtAuthorizer, key: SigningKey, name: str, value: object
) -> None:
    token = key.sign(claims(**{name: value}))

    assert refusal(authorizer, f"Bearer {token}") is not None


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_signed_token_whose_times_are_not_finite_is_refused(
    authorizer: JwtAuthorizer, key: SigningKey, name: str, value: float
) -> None:
    # Python writes these as the bare words Infinity and NaN, which JSON does not have.
    token = key.sign(claims(**{name: value}))

    assert refusal(authorizer, f"Bearer {token}") is not None


def test_a_signed_token_with_fractional_and_huge_numeric_times_is_accepted(
    authorizer: JwtAuthorizer, key: SigningKey
) -> None:
    now = time.time()
    token = key.sign(claims(iat=now - 0.5, nbf=now - 0.5, exp=10**400))

    assert authorizer.authorize({"authorization": f"Bearer {token}"})["sub"] == "d-123"

"""The HTTP API's JWT authorizer, and the local identity provider that issues its tokens.

A local RSA key stands in for the Cognito user pool's: it signs tokens shaped
like Cognito ID tokens, and its JWKS verifies them. It lives in a file so that
`make token` and `make run` agree on it. Verification follows API Gateway's
order: the bearer token, its signature by a JWKS key, iss, aud or client_id,
exp, nbf and iat; a refusal is 401 with a `www-authenticate` header.

Whatever a client puts in a token reaches this code, so it reads the token
itself before any library does: three base64url segments, a header and a
payload that are JSON objects (strict JSON: no NaN, no Infinity), an RSA `alg`,
a string `kid`, no `crit` (it understands no extension, so RFC 7515 says
refuse), and exp, nbf and iat that are finite JSON numbers (RFC 7519's
NumericDate, which API Gateway requires). Anything else is a 401 like any bad
token, never an error of the gateway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class Unauthorized(Exception):
    """A token API Gateway would refuse; description is its error_description."""

    def __init__(self, description: str | None) -> None:
        super().__init__(description or "no token")
        self.description = description

    @property
    def www_authenticate(self) -> str:
        if self.description is None:
            return 'Bearer scope=""'
        description = self.description.replace("\\", "").replace('"', "'")
        return f'Bearer scope="" error="invalid_token" error_description="{description}"'


class SigningKey:
    """The local identity provider's key pair, created once and kept in `directory`."""

    def __init__(self, directory: Path) -> None:
        path = directory / "signing-key.pem"
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{path} is not an RSA key")
            self._private = loaded
        else:
            directory.mkdir(parents=True, exist_ok=True)
            self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = self._private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.touch(mode=0o600)
            path.write_bytes(pem)
        public_der = self._private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha256(public_der).digest()[:16]).decode()

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._private.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def sign(self, claims: Mapping[str, Any], headers: Mapping[str, Any] | None = None) -> str:
        """A token of these claims; `headers` adds to the JOSE header, for tests of odd ones."""
        header = {"kid": self.kid, **(headers or {})}
        return jwt.encode(dict(claims), self._private, algorithm="RS256", headers=header)


def cognito_id_token_claims(
    *,
    issuer: str,
    audience: str,
    sub: str,
    groups: list[str],
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a Cognito ID token for one user."""
    issued = int(time.time() if now is None else now)
    return {
        "sub": sub,
        "cognito:groups": groups,
        "cognito:username": sub,
        "iss": issuer,
        "aud": audience,
        "token_use": "id",
        "auth_time": issued,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": str(uuid.uuid4()),
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
    }


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to Lambda: every value a string, arrays as "[a b]"."""

    def render(value: Any) -> str:
        if isinstance(value, list | tuple):
            return "[" + " ".join(render(v) for v in value) + "]"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    return {name: render(value) for name, value in claims.items()}


@dataclass(frozen=True)
class JwtAuthorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]
    jwks: Mapping[str, Any]
    identity_header: str = "authorization"
    clock: Callable[[], float] = time.time

    def authorize(self, headers: Mapping[str, str]) -> dict[str, Any]:
        """The token's claims, or Unauthorized as API Gateway would answer."""
        raw = headers.get(self.identity_header, "").strip()
        if raw.lower() in ("", "bearer"):
            raise Unauthorized(None)
        token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw
        header, _ = read_unverified(token)
        key = next((k for k in self.jwks.get("keys", []) if k.get("kid") == header["kid"]), None)
        if key is None:
            raise Unauthorized("the token does not have a valid signature")
        claims = self._decode(token, key)
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if not set(self.audience) & {a for a in audiences if isinstance(a, str)}:
            raise Unauthorized("the token does not have a valid audience")
        return claims

    def _decode(self, token: str, jwk: Mapping[str, Any]) -> dict[str, Any]:
        try:
            # Times are checked below against the runtime's clock, which tests may move.
            claims: dict[str, Any] = jwt.decode(
                token,
                jwt.PyJWK(dict(jwk)).key,
                algorithms=list(RSA_ALGORITHMS),
                issuer=self.issuer,
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require": ["exp", "iss"],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("the token does not have a valid signature") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("the token does not have a valid issuer") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized(f"the token is not valid: {exc}") from exc
        now = self.clock()
        expires, not_before, issued = (
            _numeric_date(claims, "exp"),
            _numeric_date(claims, "nbf"),
            _numeric_date(claims, "iat"),
        )
        if expires is None or expires <= now:
            raise Unauthorized("the token has expired")
        if (not_before is not None and not_before > now) or (issued is not None and issued > now):
            raise Unauthorized("the token is not valid yet")
        return claims


RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _json_object(segment: str, what: str) -> dict[str, Any]:
    """One base64url segment of a token as a JSON object, or Unauthorized."""
    if not _BASE64URL.fullmatch(segment):
        raise Unauthorized("the token is malformed")
    try:
        text = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode("utf-8")
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_names)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise Unauthorized("the token is malformed") from exc
    if not isinstance(value, dict):
        raise Unauthorized(f"the token's {what} is not a JSON object")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 7515 lets a JWS parser refuse a header with a name twice; this one does."""
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("a name appears twice")
    return value


def read_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a JWS in compact form, checked for shape; not the signature."""
    segments = token.split(".")
    if len(segments) != 3:
        raise Unauthorized("the token is malformed")
    header = _json_object(segments[0], "header")
    payload = _json_object(segments[1], "payload")
    if header.get("alg") not in RSA_ALGORITHMS:
        raise Unauthorized("the token's alg is not an RSA signature")
    if not isinstance(header.get("kid"), str):
        raise Unauthorized("the token does not have a valid signature")
    if "crit" in header:
        raise Unauthorized("the token has a critical header extension this authorizer lacks")
    return header, payload


def _numeric_date(claims: Mapping[str, Any], name: str) -> int | float | None:
    """A time claim as RFC 7519 defines it: a finite JSON number, or absent (None)."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unauthorized(f"the token's {name} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Unauthorized(f"the token's {name} is not a finite number")
    return value

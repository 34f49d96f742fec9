"""Who may open a WebSocket: the Cognito ID token a client passes in the `token` query-string
parameter, checked by the rules of the HTTP API's JWT authorizer, and the IAM policy that API
Gateway's REQUEST authorizer answers with.

The checks, in API Gateway's order: a JWS whose header names an RSA algorithm and a key id, a
signature by a key of the issuer's JWKS, the issuer, the audience (`aud`, or `client_id` as an
access token carries it), `exp`, `nbf` and `iat` against our clock (which the local runtime may
move; each a finite number), and then, as the HTTP routes require of every caller, at least one of
the application's roles in `cognito:groups`. A refusal is a TokenRefused with the reason, which the
authorizer logs and answers with Deny: never an exception out of the function.

An allowed token's `exp` travels on in the authorizer's context: a connection may last two hours
and a token one, so $connect ends the connection's life when its token's ends.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from flexfleet.clock import Clock, utc_now
from flexfleet.identity import Caller, parse_groups

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")


class TokenRefused(Exception):
    """A token the authorizer refuses; the message says why (it is logged, never sent)."""


@dataclass(frozen=True)
class Verified:
    """A token the authorizer lets connect: whom it names, and its `exp` (epoch seconds), after
    which the connection it opens is no longer that caller's to be pushed to."""

    caller: Caller
    expires: float


class SigningKeys(Protocol):
    """Where a token's signing key is found: PyJWT's PyJWKClient on the issuer's JWKS."""

    def get_signing_key(self, kid: str) -> jwt.PyJWK: ...


class TokenVerifier:
    def __init__(
        self, keys: SigningKeys, issuer: str, audience: str, clock: Clock = utc_now
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock

    def caller(self, token: str | None) -> Caller:
        """The caller a token names; TokenRefused as verify() refuses."""
        return self.verify(token).caller

    def verify(self, token: str | None) -> Verified:
        """The caller a token names and when it expires; TokenRefused for any token API Gateway
        would refuse, or one that holds none of the application's roles."""
        if not token:
            raise TokenRefused("no token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is malformed: {exc}") from exc
        if header.get("alg") not in RSA_ALGORITHMS:
            raise TokenRefused("the token's alg is not an RSA signature")
        kid = header.get("kid")
        if not isinstance(kid, str) or "crit" in header:
            raise TokenRefused("the token does not have a valid signature")
        try:
            key = self._keys.get_signing_key(kid)
        except jwt.PyJWKClientError as exc:
            raise TokenRefused(f"no key of the issuer signed the token: {exc}") from exc
        claims = self._claims(token, key)
        self._check_audience(claims)
        expires = self._check_times(claims)
        caller = Caller(sub=str(claims["sub"]), groups=parse_groups(claims.get("cognito:groups")))
        if not caller.roles:
            raise TokenRefused("the token's cognito:groups holds none of the application's roles")
        return Verified(caller, expires)

    def _claims(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            # Times are checked against our clock below; the audience as API Gateway checks it.
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(RSA_ALGORITHMS),
                issuer=self._issuer,
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require": ["exp", "iss", "sub"],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenRefused("the token does not have a valid signature") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused("the token does not have a valid issuer") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise TokenRefused(f"the token is not valid: {exc}") from exc
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenRefused("the token's sub is not a user id")
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        audience = claims["aud"] if "aud" in claims else claims.get("client_id")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in {a for a in audiences if isinstance(a, str)}:
            raise TokenRefused("the token does not have a valid audience")

    def _check_times(self, claims: Mapping[str, Any]) -> float:
        """The token's exp, once exp, nbf and iat are checked against our clock."""
        now = self._clock().timestamp()
        expires, not_before, issued = (_numeric_date(claims, n) for n in ("exp", "nbf", "iat"))
        if expires is None or expires <= now:
            raise TokenRefused("the token has expired")
        if (not_before is not None and not_before > now) or (issued is not None and issued > now):
            raise TokenRefused("the token is not valid yet")
        return expires


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """A time claim as RFC 7519 defines it: a finite JSON number, or absent (None)."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenRefused(f"the token's {name} is not a number")
    if not math.isfinite(value):
        raise TokenRefused(f"the token's {name} is not a finite number")
    return float(value)


def allow(verified: Verified, method_arn: str) -> dict[str, Any]:
    """The REQUEST authorizer's answer for a caller it lets connect: the IAM policy, and a context
    of strings that the $connect event carries as requestContext.authorizer: the caller's sub and
    groups, and the token's exp in whole epoch seconds (rounded down: never later than the
    token's)."""
    caller = verified.caller
    return {
        "principalId": caller.sub,
        "policyDocument": _policy("Allow", method_arn),
        "context": {
            "sub": caller.sub,
            "groups": " ".join(sorted(caller.groups)),
            "exp": str(math.floor(verified.expires)),
        },
    }


def deny(method_arn: str) -> dict[str, Any]:
    """The answer for any refused token: API Gateway then answers the client 403."""
    return {"principalId": "anonymous", "policyDocument": _policy("Deny", method_arn or "*")}


def _policy(effect: str, resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }

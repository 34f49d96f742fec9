"""The local identity provider: the user pool's JWKS and Cognito's hosted-UI OAuth 2.0 endpoints.

Everything comes from the template: each AWS::Cognito::UserPool is served at
`/<pool id>` (GetAtt UserPool.ProviderURL), and each UserPoolClient's
CallbackURLs, LogoutURLs, AllowedOAuthFlows and AllowedOAuthScopes decide what
the endpoints accept. Tokens are signed by the runtime's key (the one `make
token` uses) with the issuer `https://cognito-idp.<region>.amazonaws.com/<pool
id>`, so the API's authorizers take them as they take Cognito's.

- `GET /<pool id>/.well-known/jwks.json`, and `openid-configuration` beside it.
- `GET /oauth2/authorize` (response_type=code, client_id, redirect_uri, state,
  scope, code_challenge, code_challenge_method=S256): a page where you pick a
  role (the pool's groups) and a user id; submitting it redirects to
  redirect_uri with `code` and `state`. An unknown client_id or a redirect_uri
  that is none of the client's CallbackURLs gets an error page and no redirect,
  as Cognito's hosted UI does; other errors go back to the redirect_uri as
  `error=` with the state. Unlike Cognito, PKCE is required: the dashboard
  uses it, and a page that forgot it should fail here first.
- `POST /oauth2/token` (grant_type=authorization_code, client_id, code,
  redirect_uri, code_verifier): `{id_token, access_token, expires_in,
  token_type}`. Codes are single-use (a second presentation is
  `invalid_grant`, even after a failed one) and expire 5 minutes after issue on
  the runtime's clock, as Cognito's do. Errors are RFC 6749's JSON with 400:
  invalid_request, invalid_client, invalid_grant, unsupported_grant_type. The
  endpoint answers CORS for the origins of the clients' CallbackURLs, as
  Cognito's token endpoint does for a browser app.
- `GET /logout?client_id=&logout_uri=`: a redirect to logout_uri, which must be
  one of the client's LogoutURLs. There is no session to end locally.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from infra.local_runtime.authorizer import SigningKey, cognito_id_token_claims
from infra.local_runtime.http_server import BackgroundHttpServer
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import as_bool

USER_POOL = "AWS::Cognito::UserPool"
USER_POOL_CLIENT = "AWS::Cognito::UserPoolClient"
USER_POOL_GROUP = "AWS::Cognito::UserPoolGroup"
CODE_TTL_SECONDS = 5 * 60  # Cognito's authorization codes last 5 minutes
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    pool_id: str
    issuer: str
    callback_urls: tuple[str, ...]
    logout_urls: tuple[str, ...]
    scopes: tuple[str, ...]
    code_flow: bool
    id_token_seconds: int
    access_token_seconds: int


def _validity(props: dict[str, Any], name: str, unit_name: str) -> int:
    """A token's lifetime from a UserPoolClient: {name} in TokenValidityUnits.{unit_name}
    (Cognito's default: 1 hour)."""
    if name not in props:
        return 3600
    unit = str((props.get("TokenValidityUnits") or {}).get(unit_name, "hours")).lower()
    return int(props[name]) * _UNIT_SECONDS.get(unit, 3600)


def oauth_clients(stack: Stack) -> dict[str, OAuthClient]:
    clients = {}
    for logical_id in stack.template.of_type(USER_POOL_CLIENT):
        if not stack.is_active(logical_id):
            continue
        props = stack.resolve(stack.template.properties(logical_id))
        pool_id = str(props["UserPoolId"])
        client_id = str(stack.ref(logical_id))
        clients[client_id] = OAuthClient(
            client_id=client_id,
            pool_id=pool_id,
            issuer=f"https://cognito-idp.{stack.region}.amazonaws.com/{pool_id}",
            callback_urls=tuple(str(u) for u in props.get("CallbackURLs") or []),
            logout_urls=tuple(str(u) for u in props.get("LogoutURLs") or []),
            scopes=tuple(str(s) for s in props.get("AllowedOAuthScopes") or []),
            code_flow=as_bool(props.get("AllowedOAuthFlowsUserPoolClient", False))
            and "code" in (props.get("AllowedOAuthFlows") or []),
            id_token_seconds=_validity(props, "IdTokenValidity", "IdToken"),
            access_token_seconds=_validity(props, "AccessTokenValidity", "AccessToken"),
        )
    return clients


def pool_groups(stack: Stack) -> dict[str, list[str]]:
    """Each user pool's group names, in the template's order."""
    groups: dict[str, list[str]] = {
        str(stack.ref(p)): [] for p in stack.template.of_type(USER_POOL) if stack.is_active(p)
    }
    for logical_id in stack.template.of_type(USER_POOL_GROUP):
        props = stack.resolve(stack.template.properties(logical_id))
        groups.setdefault(str(props["UserPoolId"]), []).append(str(stack.ref(logical_id)))
    return groups


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class IssuedCode:
    client_id: str
    redirect_uri: str
    challenge: str
    sub: str
    groups: tuple[str, ...]
    scope: str
    nonce: str | None
    expires: float


class IdentityProvider:
    """The identity endpoints on host:port (0: any free port)."""

    def __init__(
        self,
        stack: Stack,
        signing_key: SigningKey,
        *,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 3003,
    ) -> None:
        self.stack, self.signing_key, self.clock = stack, signing_key, clock
        self.clients = oauth_clients(stack)
        self.groups = pool_groups(stack)
        self._codes: dict[str, IssuedCode] = {}
        self._lock = threading.Lock()
        self.server = BackgroundHttpServer(_IdentityHandler, host, port, "identity", owner=self)

    @property
    def url(self) -> str:
        return self.server.url

    def provider_url(self, pool_id: str) -> str:
        return f"{self.url}/{pool_id}"

    @property
    def allowed_origins(self) -> set[str]:
        return {_origin(u) for c in self.clients.values() for u in c.callback_urls}

    # ------------------------------------------------------------ authorize
    def client_for(self, params: dict[str, str]) -> OAuthClient:
        """The client and redirect_uri check that happens before any redirect."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "No client has this client_id.")
        if params.get("redirect_uri") not in client.callback_urls:
            raise OAuthError(
                "redirect_mismatch", "The redirect_uri is none of the client's CallbackURLs."
            )
        return client

    def check_request(self, client: OAuthClient, params: dict[str, str]) -> None:
        """The checks whose failure goes back to the redirect_uri."""
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "Only response_type=code is served.")
        if not client.code_flow:
            raise OAuthError("unauthorized_client", "The client does not allow the code flow.")
        scopes = params.get("scope", "openid").split()
        if not set(scopes) <= set(client.scopes):
            raise OAuthError("invalid_scope", "A scope is not among the client's.")
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "PKCE with code_challenge_method=S256 is required.")

    def issue_code(self, client: OAuthClient, params: dict[str, str], role: str, sub: str) -> str:
        if role not in self.groups.get(client.pool_id, []):
            raise OAuthError("invalid_request", "Pick one of the roles.")
        if not sub or len(sub) > 128 or not sub.isprintable() or sub != sub.strip():
            raise OAuthError("invalid_request", "A user id is 1 to 128 printable characters.")
        code = str(uuid.uuid4())
        with self._lock:
            self._codes[code] = IssuedCode(
                client_id=client.client_id,
                redirect_uri=params["redirect_uri"],
                challenge=params["code_challenge"],
                sub=sub,
                groups=(role,),
                scope=params.get("scope", "openid"),
                nonce=params.get("nonce"),
                expires=self.clock() + CODE_TTL_SECONDS,
            )
        return code

    # ---------------------------------------------------------------- token
    def exchange(self, form: dict[str, str], basic_client: str | None) -> dict[str, Any]:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is missing.")
        if grant_type != "authorization_code":
            raise OAuthError("unsupported_grant_type", "Only authorization_code is served.")
        client = self.clients.get(basic_client or form.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "No client has this client_id.")
        code = form.get("code", "")
        with self._lock:
            issued = self._codes.pop(code, None)  # single use, whatever follows
        if issued is None or issued.expires <= self.clock():
            raise OAuthError("invalid_grant", "The code is unknown, used or expired.")
        if issued.client_id != client.client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client.")
        if form.get("redirect_uri") != issued.redirect_uri:
            raise OAuthError("invalid_grant", "The redirect_uri differs from the authorize one.")
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError("invalid_request", "code_verifier is missing.")
        if not secrets.compare_digest(s256(verifier), issued.challenge):
            raise OAuthError("invalid_grant", "The code_verifier does not match the challenge.")
        return self._tokens(client, issued)

    def _tokens(self, client: OAuthClient, issued: IssuedCode) -> dict[str, Any]:
        now = self.clock()
        id_claims = cognito_id_token_claims(
            issuer=client.issuer,
            audience=client.client_id,
            sub=issued.sub,
            groups=list(issued.groups),
            ttl_seconds=client.id_token_seconds,
            now=now,
        )
        if issued.nonce:
            id_claims["nonce"] = issued.nonce
        access_claims = {
            "sub": issued.sub,
            "cognito:groups": list(issued.groups),
            "iss": client.issuer,
            "client_id": client.client_id,
            "origin_jti": id_claims["origin_jti"],
            "event_id": id_claims["event_id"],
            "token_use": "access",
            "scope": issued.scope,
            "auth_time": int(now),
            "iat": int(now),
            "exp": int(now) + client.access_token_seconds,
            "jti": str(uuid.uuid4()),
            "username": issued.sub,
        }
        return {
            "id_token": self.signing_key.sign(id_claims),
            "access_token": self.signing_key.sign(access_claims),
            "expires_in": client.access_token_seconds,
            "token_type": "Bearer",
        }

    def openid_configuration(self, pool_id: str) -> dict[str, Any]:
        return {
            "issuer": f"https://cognito-idp.{self.stack.region}.amazonaws.com/{pool_id}",
            "jwks_uri": f"{self.provider_url(pool_id)}/.well-known/jwks.json",
            "authorization_endpoint": f"{self.url}/oauth2/authorize",
            "token_endpoint": f"{self.url}/oauth2/token",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "scopes_supported": ["openid", "email", "profile"],
        }


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to FlexFleet (local)</title>
<link rel="icon" href="data:,">
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 1rem; color: #111; }}
  main {{ max-width: 26rem; margin: 2rem auto; }}
  fieldset {{ border: 1px solid #888; border-radius: .5rem; margin: 0 0 1rem; padding: .75rem; }}
  label {{ display: block; padding: .25rem 0; }}
  input[type=text] {{ font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; }}
  button {{ font: inherit; padding: .5rem 1.25rem; }}
  :focus-visible {{ outline: 3px solid #1a5fb4; outline-offset: 2px; }}
  .note {{ color: #444; font-size: .9rem; }}
  .error {{ color: #a51d2d; font-weight: bold; }}
</style>
</head>
<body>
<main>
<h1>Sign in</h1>
<p class="note">The local runtime's sign-in page: no passwords. Pick a role and a user id.</p>
{error}
<form method="post" action="/oauth2/authorize">
{hidden}
<fieldset>
<legend>Role</legend>
{roles}
</fieldset>
<label for="sub">User id</label>
<input type="text" id="sub" name="sub" required maxlength="128" autocomplete="username"
       value="{sub}" aria-describedby="sub-hint">
<p id="sub-hint" class="note">For instance d-123 for a driver, ops-1 for ops.</p>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
"""

_ERROR_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in error</title><link rel="icon" href="data:,"></head>
<body><main><h1>Sign-in error</h1>
<p role="alert"><strong>{error}</strong>: {description}</p></main></body>
</html>
"""


def sign_in_page(
    params: dict[str, str], roles: list[str], *, sub: str = "", error: str = ""
) -> str:
    hidden = "\n".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k not in ("role", "sub")
    )
    # Driver first when the pool has it: the dashboard behind this page is for drivers and ops.
    default = "driver" if "driver" in roles else (roles[0] if roles else "")
    chosen = params.get("role", default)
    radios = "\n".join(
        f'<label><input type="radio" name="role" value="{html.escape(r)}"'
        f"{' checked' if r == chosen else ''} required> {html.escape(r.capitalize())}</label>"
        for r in roles
    )
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _PAGE.format(hidden=hidden, roles=radios, sub=html.escape(sub), error=notice)


class _IdentityHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlexFleetLocalIdentity"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet, as the other local servers."""

    @property
    def provider(self) -> IdentityProvider:
        owner: IdentityProvider = self.server.owner  # type: ignore[attr-defined]
        return owner

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if body or status != HTTPStatus.NO_CONTENT:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers)

    def _html(self, status: int, page: str) -> None:
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, b"", "text/plain", [("location", location)])

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("content-length") or 0)
        data = self.rfile.read(length).decode("utf-8", "replace") if length > 0 else ""
        return dict(parse_qsl(data, keep_blank_values=True))

    def _cors(self) -> list[tuple[str, str]]:
        origin = self.headers.get("origin")
        if origin is None or origin not in self.provider.allowed_origins:
            return []
        return [("access-control-allow-origin", origin), ("vary", "Origin")]

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        provider = self.provider
        pool, _, rest = url.path.lstrip("/").partition("/")
        if pool in provider.groups and rest == ".well-known/jwks.json":
            self._json(HTTPStatus.OK, provider.signing_key.jwks, self._cors())
        elif pool in provider.groups and rest == ".well-known/openid-configuration":
            self._json(HTTPStatus.OK, provider.openid_configuration(pool), self._cors())
        elif url.path == "/oauth2/authorize":
            self._authorize(params, None)
        elif url.path == "/logout":
            self._logout(params)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        form = self._form()
        if path == "/oauth2/authorize":
            self._authorize(form, form)
        elif path == "/oauth2/token":
            self._token(form)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_OPTIONS(self) -> None:  # noqa: N802 - the browser's preflight of the token endpoint
        cors = self._cors()
        if cors:
            cors += [
                ("access-control-allow-methods", "POST,OPTIONS"),
                ("access-control-allow-headers", "authorization,content-type"),
                ("access-control-max-age", "600"),
            ]
        self._send(HTTPStatus.NO_CONTENT, b"", "text/plain", cors)

    def _authorize(self, params: dict[str, str], chosen: dict[str, str] | None) -> None:
        provider = self.provider
        try:
            client = provider.client_for(params)
        except OAuthError as refused:
            page = _ERROR_PAGE.format(
                error=html.escape(refused.error), description=html.escape(refused.description)
            )
            self._html(HTTPStatus.BAD_REQUEST, page)
            return
        back = {"state": params["state"]} if "state" in params else {}
        try:
            provider.check_request(client, params)
        except OAuthError as refused:
            refusal = {"error": refused.error, "error_description": refused.description}
            self._redirect(_with_query(params["redirect_uri"], {**refusal, **back}))
            return
        roles = provider.groups.get(client.pool_id, [])
        if chosen is None:
            self._html(HTTPStatus.OK, sign_in_page(params, roles))
            return
        try:
            code = provider.issue_code(
                client, params, chosen.get("role", ""), chosen.get("sub", "")
            )
        except OAuthError as refused:
            page = sign_in_page(params, roles, sub=chosen.get("sub", ""), error=refused.description)
            self._html(HTTPStatus.BAD_REQUEST, page)
            return
        self._redirect(_with_query(params["redirect_uri"], {"code": code, **back}))

    def _token(self, form: dict[str, str]) -> None:
        basic = None
        authorization = self.headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            try:
                basic = base64.b64decode(authorization[6:]).decode().split(":", 1)[0]
            except ValueError:
                basic = ""
        headers = [*self._cors(), ("cache-control", "no-store"), ("pragma", "no-cache")]
        try:
            tokens = self.provider.exchange(form, basic)
        except OAuthError as refused:
            body = {"error": refused.error, "error_description": refused.description}
            self._json(HTTPStatus.BAD_REQUEST, body, headers)
            return
        self._json(HTTPStatus.OK, tokens, headers)

    def _logout(self, params: dict[str, str]) -> None:
        client = self.provider.clients.get(params.get("client_id", ""))
        target = params.get("logout_uri", "")
        if client is None or target not in client.logout_urls:
            error = "invalid_client" if client is None else "logout_uri_mismatch"
            page = _ERROR_PAGE.format(
                error=error, description="The logout_uri is none of the client's LogoutURLs."
            )
            self._html(HTTPStatus.BAD_REQUEST, page)
            return
        self._redirect(target)

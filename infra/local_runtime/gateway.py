"""The HTTP API: routes from the template's HttpApi events, payload format 2.0, JWT authorizers.

It does what API Gateway does between a client and a function: match the
route (404 when nothing matches, method or path), run the authorizer, build
the v2 event, and map the function's answer back to HTTP, inferring the
response when the function returns a plain value and answering 500 when it fails.

Paths: an HTTP API hands Lambda the path already decoded, in `rawPath` and in
`requestContext.http.path` alike, and matches routes on it. It decodes twice:
`/capture/space%20value` arrives as `/capture/space value`, `%3A` as `:`,
`%2525value` as `%value`. An encoded slash becomes a real one, so `/a%2Fb`
no longer matches `/{id}`. A decoded `?` ends the path (`question%3Fvalue`
gives `/capture/question`). A path whose second decoding meets an invalid escape
(`percent%25done`) is refused with 400 `{"message":"Bad Request"}` before any
function runs. `pathParameters` come from the decoded path and are not decoded
again. `rawQueryString` stays as the client sent it; `queryStringParameters`
are decoded. REST APIs, Function URLs and ALBs keep the encoding; HTTP APIs
don't. Sources, from live captures of HTTP APIs: hotsock/voker's testdata
`ingress-paths.json`, aws-powertools/powertools-lambda-python#1098,
aws/aws-lambda-dotnet#1901 and fastify/aws-lambda-fastify#169. A path that does
not decode to UTF-8 is refused the same way; no capture shows that case.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

from infra.local_runtime.authorizer import JwtAuthorizer, Unauthorized, render_claims
from infra.local_runtime.cors import CorsPolicy
from infra.local_runtime.functions import Invocation
from infra.local_runtime.http_server import BackgroundHttpServer

log = logging.getLogger("flexfleet.local")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's HTTP API payload quota
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded))$"
)


@dataclass(frozen=True)
class Route:
    method: str  # an HTTP method, or ANY
    path: str  # as in the template: /drivers/{driverId}/ratings, /{proxy+} or $default
    function_id: str
    authorizer: JwtAuthorizer | None

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def pattern(self) -> re.Pattern[str]:
        if self.path == "$default":
            return re.compile(r"^.*$")
        parts = []
        for segment in self.path.strip("/").split("/"):
            greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
            param = re.fullmatch(r"\{(\w+)\}", segment)
            if greedy:
                parts.append(f"(?P<{greedy.group(1)}>.+)")
            elif param:
                parts.append(f"(?P<{param.group(1)}>[^/]+)")
            else:
                parts.append(re.escape(segment))
        return re.compile("^/" + "/".join(parts) + "$")

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        """API Gateway prefers literal paths, then parameters, then greedy, then $default."""
        segments = self.path.strip("/").split("/")
        literals = sum(1 for s in segments if not s.startswith("{"))
        greedy = 0 if self.path == "$default" or "+}" in self.path else 1
        return (self.path != "$default", greedy, literals, self.method != "ANY")


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        self._routes = [
            (r, r.pattern) for r in sorted(routes, key=lambda r: r.specificity, reverse=True)
        ]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for a decoded path (decode_path), and its parameters taken as they are."""
        for route, pattern in self._routes:
            if route.method not in (method, "ANY"):
                continue
            found = pattern.match(path)
            if found:
                return route, found.groupdict()
        return None


def _decode_once(path: str) -> str:
    if _ESCAPE.search(path):
        raise ValueError(f"an invalid percent escape in {path!r}")
    try:
        return unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path!r} does not decode to UTF-8") from exc


def decode_path(raw_path: str) -> str:
    """The path as an HTTP API matches it and hands it on: decoded twice, cut at a `?`."""
    return _decode_once(_decode_once(raw_path)).split("?", 1)[0]


def _is_text(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return bool(_TEXT_TYPES.match(media_type))


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated names joined by commas, as API Gateway does for headers and query strings."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _headers_and_cookies(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    cookies = [
        c.strip()
        for name, value in headers
        if name.lower() == "cookie"
        for c in value.split(";")
        if c.strip()
    ]
    lowered = [(n.lower(), v) for n, v in headers if n.lower() != "cookie"]
    return _joined(lowered), cookies


def _body_fields(body: bytes, content_type: str | None) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    if _is_text(content_type):
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def build_event(
    *,
    route: Route,
    path_parameters: dict[str, str],
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    account_id: str,
    api_id: str,
    claims: dict[str, Any] | None,
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event."""
    url = urlsplit(target)
    path = decode_path(url.path)
    merged, cookies = _headers_and_cookies(headers)
    query = _joined(parse_qsl(url.query, keep_blank_values=True))
    now = datetime.now(UTC)
    request_id = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
    host = merged.get("host", "localhost")
    context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": merged.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": render_claims(claims), "scopes": None}}
    merged.setdefault("x-forwarded-for", source_ip)
    merged.setdefault("x-forwarded-proto", "http")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": path,
        "rawQueryString": url.query,
        "headers": merged,
        "requestContext": context,
        **_body_fields(body, merged.get("content-type")),
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    return event


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# Invokes a function with an event for a trigger, and answers as API Gateway would (map_response).
Invoke = Callable[[str, dict[str, Any], str], HttpResponse]


def gateway_error(status: HTTPStatus, message: str, *extra: tuple[str, str]) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status.value, [("content-type", "application/json"), *extra], body)


def map_response(invocation: Invocation) -> HttpResponse:
    """The function's answer as API Gateway turns it into HTTP (payload format 2.0)."""
    if not invocation.ok:
        return gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
    payload = invocation.payload
    if not (isinstance(payload, dict) and "statusCode" in payload):
        # Format 2.0 infers a response from any other JSON value.
        return HttpResponse(
            200, [("content-type", "application/json")], json.dumps(payload).encode()
        )
    try:
        status = int(payload["statusCode"])
        if not 100 <= status <= 599:
            raise ValueError(status)
        headers = [(str(k), str(v)) for k, v in (payload.get("headers") or {}).items()]
        headers += [("set-cookie", str(c)) for c in payload.get("cookies") or []]
        body = payload.get("body") or ""
        if not isinstance(body, str):
            body = json.dumps(body)
        data = base64.b64decode(body) if payload.get("isBase64Encoded") else body.encode()
    except (TypeError, ValueError, AttributeError):
        return gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
    return HttpResponse(status, headers, data)


class HttpApiGateway:
    """One HTTP API on host:port, serving the given routes, with its CORS configuration if any."""

    def __init__(
        self,
        routes: list[Route],
        invoke: Invoke,
        *,
        account_id: str,
        api_id: str,
        host: str = "127.0.0.1",
        port: int = 3000,
        cors: CorsPolicy | None = None,
    ) -> None:
        self.routes = RouteTable(routes)
        self.invoke = invoke
        self.account_id = account_id
        self.api_id = api_id
        self.cors = cors
        self.server = BackgroundHttpServer(_RequestHandler, host, port, "http-api", owner=self)

    @property
    def url(self) -> str:
        return self.server.url

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        lowered = {k.lower(): v for k, v in headers}
        if self.cors is not None and self.cors.is_preflight(method, lowered):
            preflight = self._preflight(target, lowered)
            if preflight is not None:
                return preflight
        response = self._route(method, target, headers, body, source_ip)
        if self.cors is None:
            return response
        return HttpResponse(
            response.status, self.cors.apply(response.headers, lowered), response.body
        )

    def _preflight(self, target: str, lowered: dict[str, str]) -> HttpResponse | None:
        """The gateway's own answer to a preflight, unless a route takes OPTIONS for this path."""
        assert self.cors is not None
        try:
            path = decode_path(urlsplit(target).path)
        except ValueError:
            return None
        if self.routes.match("OPTIONS", path) is not None:
            return None
        request_id = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
        headers = [*self.cors.preflight(lowered), ("apigw-requestid", request_id)]
        return HttpResponse(HTTPStatus.NO_CONTENT.value, headers, b"")

    def _route(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> HttpResponse:
        try:
            path = decode_path(urlsplit(target).path)
        except ValueError:
            return gateway_error(HTTPStatus.BAD_REQUEST, "Bad Request")
        matched = self.routes.match(method, path)
        if matched is None:
            return gateway_error(HTTPStatus.NOT_FOUND, "Not Found")
        route, path_parameters = matched
        claims = None
        if route.authorizer is not None:
            try:
                claims = route.authorizer.authorize({k.lower(): v for k, v in headers})
            except Unauthorized as refusal:
                return gateway_error(
                    HTTPStatus.UNAUTHORIZED,
                    "Unauthorized",
                    ("www-authenticate", refusal.www_authenticate),
                )
        event = build_event(
            route=route,
            path_parameters=path_parameters,
            method=method,
            target=target,
            headers=headers,
            body=body,
            source_ip=source_ip,
            account_id=self.account_id,
            api_id=self.api_id,
            claims=claims,
        )
        response = self.invoke(route.function_id, event, f"http {route.key}")
        request_id = event["requestContext"]["requestId"]
        return HttpResponse(
            response.status, [*response.headers, ("apigw-requestid", request_id)], response.body
        )


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlexFleetLocalHttpApi"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, delayed ACKs add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """The runtime logs each invocation itself."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, huge headers, unknown method), as JSON."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            # API Gateway answers a method it has no route for as an unknown route.
            code, message = HTTPStatus.NOT_FOUND, "Not Found"
        body = json.dumps({"message": message or HTTPStatus(code).phrase}).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        if getattr(self, "command", "") != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over the payload quota; ValueError if malformed."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(data)
                if len(data) + size > MAX_PAYLOAD_BYTES:
                    return None
                data.extend(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        if length < 0:
            raise ValueError("a negative content-length")
        if length > MAX_PAYLOAD_BYTES:
            # Read it all, so the client gets to hear the 413 rather than a reset.
            while length > 0:
                length -= len(self.rfile.read(min(length, 1 << 20)) or b"x" * length)
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        gateway: HttpApiGateway = self.server.owner  # type: ignore[attr-defined]
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(
                HTTPStatus.BAD_REQUEST, "the request body is not framed as HTTP/1.1 says"
            )
            return
        if body is None:
            response = gateway_error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large"
            )
            self.close_connection = True
        else:
            try:
                response = gateway.handle(
                    self.command,
                    self.path,
                    list(self.headers.items()),
                    body,
                    self.client_address[0],
                )
            except Exception:
                # A fault of the runtime itself: the client hears a 500 as from API Gateway.
                log.exception("the local HTTP API failed on %s %s", self.command, self.path)
                response = gateway_error(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

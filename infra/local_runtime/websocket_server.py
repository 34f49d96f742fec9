"""The template's WebSocket API on 127.0.0.1, with its @connections management API on the same port.

Clients connect at `ws://127.0.0.1:<port>/<stage>`. The opening handshake runs
the REQUEST authorizer and the $connect integration and is refused as API
Gateway refuses it (401, 403, 500, or the status a non-2xx $connect answer
gives). Each message goes to the route its body selects; a message no route
takes, with no $default, gets API Gateway's `{"message": "Forbidden", ...}`
frame and a failed function its `{"message": "Internal server error", ...}`
frame (captures in aws-samples/simple-websockets-chat-app#24 and #46). A
function's answer goes back to the client only from a route with a
RouteResponseSelectionExpression; elsewhere API Gateway drops it. Closing
invokes $disconnect with the close code and reason.

The management API answers `POST|GET|DELETE /<stage>/@connections/{id}` as
botocore's apigatewaymanagementapi model describes it: POST sends the body as a
text frame (binary if it is not UTF-8) and answers 200, GET answers
connectedAt, identity and lastActiveAt, DELETE closes the connection and
answers 204, and an id with no open connection is 410 with x-amzn-ErrorType
GoneException, which boto3 raises as `GoneException`. A connection is open from
the end of its handshake, so $connect's own function cannot post to it yet
(410, as in AWS), and closed from the moment it starts closing. SigV4 is not
checked; in its place, a management request is served only from a loopback
address, whatever address the server listens on (`--host 0.0.0.0` must not
let the network post to, read or close anyone's connection): any other peer
gets 403 AccessDeniedException, as IAM's refusal reads. A request whose first
line names `/@connections` is served as HTTP; any other is a WebSocket
handshake.

Limits, on the runtime's clock: a connection with no message either way for
10 minutes, or open for 2 hours, is closed with 1001 (API Gateway's idle
timeout and maximum duration). Pings are answered and do not count as
activity. A message is at most 128 KB (API Gateway's quota; larger closes the
connection with 1009); the server sends no pings of its own.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.sync.server import Server, ServerConnection

from infra.local_runtime.functions import Invocation
from infra.local_runtime.http_server import listening_socket
from infra.local_runtime.stack import Stack
from infra.local_runtime.websocket import (
    CONNECT,
    DISCONNECT,
    ConnectionRequest,
    Refused,
    WebSocketApiDefinition,
    authorizer_decision,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    new_id,
)

log = logging.getLogger("flexfleet.local")

IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_DURATION_SECONDS = 2 * 60 * 60
MAX_MESSAGE_BYTES = 128 * 1024
GOING_AWAY, NORMAL, NO_STATUS = 1001, 1000, 1005
HANDSHAKE_TIMEOUT_SECONDS = 10.0
REAP_INTERVAL_SECONDS = 0.5

Invoke = Callable[[str, dict[str, Any], str], Invocation]


def _json_response(status: int, body: Any, *extra: tuple[str, str]) -> Response:
    data = json.dumps(body).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Connection", "close"),
            *extra,
        ]
    )
    return Response(status, HTTPStatus(status).phrase, headers, data)


def _refusal(refused: Refused) -> Response:
    return _json_response(refused.status, {"message": str(refused)})


def _error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's own frame, spacing and all."""
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass(eq=False)
class LiveConnection:
    request: ConnectionRequest
    socket: ServerConnection
    authorizer: dict[str, Any] | None
    connected_at: float  # on the runtime's clock
    last_active: float
    # Who closed it and how, when this side did: the code and reason $disconnect reports.
    closing: tuple[int, str] | None = None


class WebSocketServer:
    """One WebSocket API on host:port (0: any free port), stopped by stop()."""

    def __init__(
        self,
        api: WebSocketApiDefinition,
        stack: Stack,
        invoke: Invoke,
        *,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 3001,
    ) -> None:
        self.api, self.stack, self._invoke, self._clock = api, stack, invoke, clock
        self._listening = listening_socket("websocket", host, port)
        self._server = Server(
            self._listening, self._handle_socket, logging.getLogger("flexfleet.websocket")
        )
        self._lock = threading.Lock()
        self._connections: dict[str, LiveConnection] = {}
        self._http_sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """The API's endpoint, as GetAtt Api.ApiEndpoint gives it: no stage."""
        host, port = self._listening.getsockname()[:2]
        return f"ws://{host}:{port}"

    @property
    def stage_url(self) -> str:
        return f"{self.url}/{self.api.stage}"

    def start(self) -> None:
        for target, name in ((self._server.serve_forever, "websocket"), (self._reap, "ws-limits")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            held = list(self._http_sockets)
        for sock in held:  # keep-alive management clients would hold their threads forever
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._threads:
            self._server.shutdown()  # closes open connections with 1001, as API Gateway would
        else:
            self._listening.close()
        for thread in self._threads:
            thread.join(timeout=10)

    def connection_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._connections)

    # ------------------------------------------------------------ accepting
    def _handle_socket(self, sock: socket.socket, address: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            line = _first_line(sock)
            if not line:
                sock.close()
            elif b"/@connections" in line:
                self._serve_management(sock, address)
            else:
                self._serve_websocket(sock)
        except Exception:
            log.exception("the local WebSocket API failed on a connection")
            with contextlib.suppress(OSError):
                sock.close()
        finally:
            with self._server.lock:
                self._server.handler_threads.discard(threading.current_thread())

    def _serve_management(self, sock: socket.socket, address: Any) -> None:
        with self._lock:
            self._http_sockets.add(sock)
        try:
            _ManagementHandler(sock, address, self)  # type: ignore[arg-type] # serves until closed
        finally:
            with self._lock:
                self._http_sockets.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def _serve_websocket(self, sock: socket.socket) -> None:
        protocol = ServerProtocol(max_size=MAX_MESSAGE_BYTES, logger=self._server.logger)
        connection = ServerConnection(
            sock, protocol, self._server, ping_interval=None, ping_timeout=None, close_timeout=2
        )
        opened: list[LiveConnection] = []

        def process_request(_: ServerConnection, request: Request) -> Response | None:
            if not _asks_for_websocket(request.headers):
                return None  # websockets refuses it (426 or 400) before any function runs
            try:
                opening, authorizer = self._open(connection, request)
            except Refused as refused:
                log.info("websocket connection refused: %s %s", refused.status, refused)
                return _refusal(refused)
            # Open for @connections from here, before the client hears it is: once it knows,
            # a push to it must arrive. Until the 101 is out, a push is 410, as from $connect.
            now = self._clock()
            live = LiveConnection(opening, connection, authorizer, now, now)
            with self._lock:
                self._connections[opening.connection_id] = live
            opened.append(live)
            return None

        try:
            connection.handshake(process_request, None, None, HANDSHAKE_TIMEOUT_SECONDS)
        except Exception:
            connection.close_socket()
        if connection.protocol.state is not State.OPEN or not opened:
            for live in opened:
                with self._lock:
                    self._connections.pop(live.request.connection_id, None)
            connection.close_socket()
            return
        live = opened[0]
        with self._server.lock:
            self._server.all_connections.add(connection)
        try:
            self._converse(live)
        finally:
            with self._server.lock:
                self._server.all_connections.discard(connection)
            self._closed(live)

    def _open(
        self, connection: ServerConnection, request: Request
    ) -> tuple[ConnectionRequest, dict[str, Any] | None]:
        """The handshake's checks (stage, authorizer, $connect); Refused if one says no."""
        url = urlsplit(request.path)
        if url.path.rstrip("/") != f"/{self.api.stage}":
            raise Refused(403, "Forbidden")
        remote = connection.remote_address
        opening = ConnectionRequest(
            connection_id=new_id(),
            connected_at_ms=int(self._clock() * 1000),
            domain_name=request.headers.get("Host", "127.0.0.1"),
            source_ip=str(remote[0]) if remote else "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            headers=tuple(request.headers.raw_items()),
            query=tuple(parse_qsl(url.query, keep_blank_values=True)),
        )
        route = self.api.routes.get(CONNECT)
        authorizer = None
        if route is not None and route.authorizer is not None:
            if route.authorizer.identity_missing(opening.multi_query(), opening.multi_headers()):
                raise Refused(401, "Unauthorized")
            event = authorizer_event(self.api, self.stack, opening, self._now_ms())
            invocation = self._invoke(route.authorizer.function_id, event, "websocket authorizer")
            if not invocation.ok:
                message = (invocation.error or {}).get("errorMessage")
                if message == "Unauthorized":
                    raise Refused(401, "Unauthorized")
                raise Refused(500, "Internal server error")
            authorizer = authorizer_decision(invocation.payload, event["methodArn"])
        if route is not None and route.function_id is not None:
            event = connect_event(self.api, opening, authorizer, self._now_ms())
            invocation = self._invoke(route.function_id, event, "websocket $connect")
            if not invocation.ok:
                raise Refused(500, "Internal server error")
            payload = invocation.payload
            status = payload.get("statusCode") if isinstance(payload, dict) else None
            if status is not None and not 200 <= int(status) < 300:
                raise Refused(
                    int(status), str(payload.get("body") or HTTPStatus(int(status)).phrase)
                )
        return opening, authorizer

    # -------------------------------------------------------------- talking
    def _converse(self, live: LiveConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for data in live.socket:
                live.last_active = self._clock()
                self._on_message(live, data)

    def _on_message(self, live: LiveConnection, data: str | bytes) -> None:
        request = live.request
        route = self.api.select(data if isinstance(data, str) else None)
        if route is None:
            live.socket.send(_error_frame("Forbidden", request.connection_id, new_id()))
            return
        event = message_event(
            self.api,
            request,
            live.authorizer,
            route_key=route.key,
            data=data,
            now_ms=self._now_ms(),
        )
        request_id = event["requestContext"]["requestId"]
        if route.function_id is None:
            live.socket.send(
                _error_frame("Internal server error", request.connection_id, request_id)
            )
            return
        invocation = self._invoke(route.function_id, event, f"websocket {route.key}")
        if not invocation.ok:
            live.socket.send(
                _error_frame("Internal server error", request.connection_id, request_id)
            )
            return
        answer = _route_response(invocation.payload) if route.responds else None
        if answer is not None:
            live.socket.send(answer)
            live.last_active = self._clock()

    def _closed(self, live: LiveConnection) -> None:
        with self._lock:
            self._connections.pop(live.request.connection_id, None)
        if live.closing is not None:
            code, reason = live.closing
        else:
            received = live.socket.protocol.close_rcvd
            code, reason = (received.code, received.reason) if received else (1006, "")
        route = self.api.routes.get(DISCONNECT)
        if route is None or route.function_id is None:
            return
        event = disconnect_event(
            self.api,
            live.request,
            live.authorizer,
            status_code=code,
            reason=reason,
            now_ms=self._now_ms(),
        )
        self._invoke(route.function_id, event, "websocket $disconnect")

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _close(self, live: LiveConnection, code: int, reason: str) -> None:
        """Closes a connection from this side; $disconnect then reports `code` and `reason`."""
        with self._lock:
            if self._connections.pop(live.request.connection_id, None) is None:
                return  # closing already
        live.closing = (code, reason)
        live.socket.close(code, reason)

    def _reap(self) -> None:
        while not self._stopping.wait(REAP_INTERVAL_SECONDS):
            now = self._clock()
            with self._lock:
                expired = [
                    live
                    for live in self._connections.values()
                    if now - live.last_active >= IDLE_TIMEOUT_SECONDS
                    or now - live.connected_at >= MAX_DURATION_SECONDS
                ]
            for live in expired:
                # A client that does not answer the close must not hold up the others.
                threading.Thread(
                    target=self._close, args=(live, GOING_AWAY, "Going away"), daemon=True
                ).start()

    # ----------------------------------------------------- management API
    def manage(self, method: str, connection_id: str, body: bytes) -> tuple[int, Any]:
        """One management call: its status and JSON body (None: no body)."""
        with self._lock:
            live = self._connections.get(connection_id)
        if live is None:
            return HTTPStatus.GONE, {"message": None}
        if live.socket.protocol.state is not State.OPEN:
            return HTTPStatus.GONE, {"message": None}
        if method == "POST":
            if len(body) > MAX_MESSAGE_BYTES:
                return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "Message too long"}
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            try:
                live.socket.send(text if text is not None else body)
            except ConnectionClosed:
                return HTTPStatus.GONE, {"message": None}
            live.last_active = self._clock()
            return HTTPStatus.OK, None
        if method == "GET":
            return HTTPStatus.OK, {
                "connectedAt": _iso(live.connected_at),
                "identity": {
                    "sourceIp": live.request.source_ip,
                    "userAgent": live.request.user_agent,
                },
                "lastActiveAt": _iso(live.last_active),
            }
        self._close(live, NORMAL, "")
        return HTTPStatus.NO_CONTENT, None


def _route_response(payload: Any) -> str | None:
    """What a two-way route sends back: a proxy answer's body, or any other answer as JSON."""
    if payload is None:
        return None
    if isinstance(payload, dict) and "statusCode" in payload:
        body = payload.get("body")
        return None if body is None else body if isinstance(body, str) else json.dumps(body)
    return json.dumps(payload)


def is_loopback_peer(address: Any) -> bool:
    """Whether a socket's peer address (host, port, ...) is this machine: 127.0.0.0/8, ::1, or
    an IPv4 loopback mapped into IPv6 (a dual-stack socket's view of 127.0.0.1)."""
    host = address[0] if isinstance(address, tuple) and address else None
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _asks_for_websocket(headers: Headers) -> bool:
    """An opening handshake, not a plain GET: only those reach the authorizer and $connect."""
    upgrade = headers.get("Upgrade", "").lower()
    connection = [token.strip().lower() for token in headers.get("Connection", "").split(",")]
    return upgrade == "websocket" and "upgrade" in connection and "Sec-WebSocket-Key" in headers


def _first_line(sock: socket.socket) -> bytes:
    """The request line, read without taking it off the socket; b"" if none comes."""
    sock.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
    deadline = time.monotonic() + HANDSHAKE_TIMEOUT_SECONDS
    try:
        while True:
            peeked = sock.recv(8192, socket.MSG_PEEK)
            if not peeked:
                return b""
            if b"\n" in peeked or len(peeked) >= 8192:
                return peeked.split(b"\n", 1)[0]
            if time.monotonic() > deadline:
                return b""
            time.sleep(0.002)
    except OSError:
        return b""
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(None)


_ERROR_TYPES = {
    HTTPStatus.GONE: "GoneException",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "PayloadTooLargeException",
    HTTPStatus.FORBIDDEN: "ForbiddenException",
}


class _ManagementHandler(BaseHTTPRequestHandler):
    """`/<stage>/@connections/{id}`, over keep-alive HTTP/1.1 as botocore sends it."""

    protocol_version = "HTTP/1.1"
    server_version = "FlexFleetLocalWebSocket"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the functions log what they send."""

    def _serve(self) -> None:
        owner: WebSocketServer = self.server  # type: ignore[assignment]
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path = urlsplit(self.path).path
        prefix = f"/{owner.api.stage}/@connections/"
        error_type: str | None = None
        if not is_loopback_peer(self.client_address):
            status: int = HTTPStatus.FORBIDDEN
            answer: Any = {"message": "the local @connections API answers this machine only"}
            error_type = "AccessDeniedException"
        elif not path.startswith(prefix) or "/" in path[len(prefix) :]:
            status = HTTPStatus.FORBIDDEN
            answer = {"message": "Forbidden"}
        elif self.command not in ("POST", "GET", "DELETE"):
            status = HTTPStatus.FORBIDDEN
            answer = {
                "message": f"No method found matching route {path.lstrip('/')} "
                f"for http method {self.command}."
            }
        else:
            status, answer = owner.manage(self.command, unquote(path[len(prefix) :]), body)
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("x-amzn-RequestId", new_id())
        error_type = error_type or _ERROR_TYPES.get(HTTPStatus(status))
        if error_type is not None:
            self.send_header("x-amzn-ErrorType", error_type)
        if data:
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _serve

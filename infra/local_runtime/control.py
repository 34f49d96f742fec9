"""The runtime's control endpoint on 127.0.0.1: the hooks that tests and `make fire` use.

It is not part of the API: it listens on its own port and answers
GET  /status               ports, outputs, streams, schedules, custom resources, and sandbox
                           pids by function
GET  /invocations?since=N  the invocation log; an HTTP one carries the status its client got
GET  /jwks.json            the local identity provider's public keys
POST /drain                {"timeout": s}: wait until every trigger is quiet
POST /schedules/NAME/fire  fire a schedule now
POST /clock                {"advanceSeconds": s}: move the runtime's clock forward, once the
                           streams are read to their end (5 s at most). The clock drives record
                           ages, schedules and token times, and the functions see it: before the
                           answer, the runtime rewrites the file named by their
                           LOCAL_RUNTIME_CLOCK_FILE to `{"offsetSeconds": s}`
POST /tokens               {"role", "sub", "ttlSeconds"?, "claims"?}: mint a bearer token, issued
                           at the runtime's clock, so it is valid after a move
PUT  /cloudformation-responses/REQUEST_ID
                           a custom resource's response object, as to CloudFormation's presigned
                           S3 URL: it is the ResponseURL of the Create request sent at start.
                           Answers 200 with an empty body, as S3 does

It serves from before the runtime starts, because custom resources answer to it during the
start. Until the runtime is ready, everything but those responses answers 503.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local_runtime.custom_resources import RESPONSES_PATH
from infra.local_runtime.http_server import BackgroundHttpServer
from infra.local_runtime.runtime import LocalRuntime

# How long a clock move waits for the streams to be read to their end before it moves.
CLOCK_MOVE_SETTLE_SECONDS = 5.0


def control_server(
    runtime: LocalRuntime, host: str = "127.0.0.1", port: int = 0
) -> BackgroundHttpServer:
    return BackgroundHttpServer(_ControlHandler, host, port, "control", owner=runtime)


class _ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the runtime logs invocations, not control calls."""

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        return body if isinstance(body, dict) else {}

    def _starting(self) -> bool:
        """Answers 503 while the runtime is not ready: its parts may not exist yet."""
        if self.server.owner.ready:  # type: ignore[attr-defined]
            return False
        self._reply(503, {"message": "the runtime is starting"})
        return True

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        if self._starting():
            return
        try:
            self._get()
        except (ValueError, TypeError) as exc:
            self._reply(400, {"message": f"bad request: {exc}"})

    def do_POST(self) -> None:  # noqa: N802
        if self._starting():
            return
        try:
            self._post()
        except (ValueError, TypeError) as exc:
            self._reply(400, {"message": f"bad request: {exc}"})

    def do_PUT(self) -> None:  # noqa: N802
        try:
            self._put()
        except (ValueError, TypeError) as exc:
            self._reply(400, {"message": f"bad request: {exc}"})

    def _put(self) -> None:
        runtime: LocalRuntime = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request_id = path[len(RESPONSES_PATH) :]
        if not path.startswith(RESPONSES_PATH) or not runtime.responses.deliver(request_id, body):
            self._reply(404, {"message": "Not Found"})
            return
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def _get(self) -> None:
        runtime: LocalRuntime = self.server.owner  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        if url.path == "/status":
            self._reply(200, runtime.status())
        elif url.path == "/invocations":
            since = int(parse_qs(url.query).get("since", ["0"])[0])
            self._reply(200, runtime.invocation_log(since))
        elif url.path == "/jwks.json":
            self._reply(200, runtime.signing_key.jwks)
        else:
            self._reply(404, {"message": "Not Found"})

    def _post(self) -> None:
        runtime: LocalRuntime = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        body = self._json()
        if path == "/drain":
            self._reply(200, {"idle": runtime.drain(float(body.get("timeout", 30)))})
        elif path == "/clock":
            # What was under way when the time was skipped would have finished long before the
            # skip ends: a record written just before a two-hour move is processed, not aged
            # two hours. So streams are read to their end first (for a few seconds at most: a
            # record that keeps failing ages with the move, as it would).
            runtime.drain(timeout=CLOCK_MOVE_SETTLE_SECONDS)
            runtime.clock.advance(float(body.get("advanceSeconds", 0)))
            self._reply(200, {"offsetSeconds": runtime.clock.offset})
        elif path == "/tokens":
            token = runtime.token(
                body.get("role", "driver"),
                str(body.get("sub", "d-123")),
                ttl_seconds=int(body.get("ttlSeconds", 3600)),
                **(body.get("claims") or {}),
            )
            self._reply(200, {"token": token})
        elif path.startswith("/schedules/") and path.endswith("/fire"):
            name = path[len("/schedules/") : -len("/fire")]
            try:
                invocation = runtime.fire(name)
            except KeyError as exc:
                self._reply(404, {"message": str(exc)})
                return
            self._reply(200, asdict(invocation))
        else:
            self._reply(404, {"message": "Not Found"})

"""A threaded HTTP server on its own background thread: the gateway and the control endpoint."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # http.server listens with a backlog of 5: twenty clients connecting at once get resets.
    request_queue_size = 128


class BackgroundHttpServer:
    """Serves `handler` on host:port (0: any free port); `owner` is reachable as `server.owner`."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str, port: int, name: str, owner: Any
    ) -> None:
        self._server = _Server((host, port), handler)
        self._server.owner = owner  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()  # waits for serve_forever, so only once it runs
        self._server.server_close()

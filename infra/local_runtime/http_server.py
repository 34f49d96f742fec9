"""Servers on background threads: the gateway, the control endpoint, moto and the others."""

from __future__ import annotations

import errno
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PortUnavailable(OSError):
    """A port the runtime cannot listen on; `service` says whose it was meant to be."""

    def __init__(self, service: str, host: str, port: int, reason: OSError) -> None:
        super().__init__(reason.errno, f"{host}:{port}: {reason.strerror or reason}")
        self.service, self.host, self.port = service, host, port
        self.in_use = reason.errno == errno.EADDRINUSE


def listening_socket(service: str, host: str, port: int) -> socket.socket:
    """A socket listening on host:port (0: any free port), or PortUnavailable."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_Server.request_queue_size)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(service, host, port, exc) from exc
    return sock


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # http.server listens with a backlog of 5: twenty clients connecting at once get resets.
    request_queue_size = 128


class ServingThread:
    """A socketserver-style server (http.server's, or werkzeug's for moto) serving on a daemon
    thread of its own, with its address as a URL and an orderly stop."""

    def __init__(self, server: Any, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

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


class BackgroundHttpServer(ServingThread):
    """Serves `handler` on host:port (0: any free port); `owner` is reachable as `server.owner`."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str, port: int, name: str, owner: Any
    ) -> None:
        try:
            server = _Server((host, port), handler)
        except OSError as exc:
            raise PortUnavailable(name, host, port, exc) from exc
        server.owner = owner  # type: ignore[attr-defined]
        super().__init__(server, name)

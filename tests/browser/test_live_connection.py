"""The page's WebSocket client (web/src/js/live.js) against a scripted server, in chromium.

A push may come twice (delivery is at least once) and a connection may drop: the client must
hand each message id on once, come back with backoff, and say so.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.browser.conftest import SITE

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><meta charset="utf-8"><title>live</title>
<script type="module">
import { LiveConnection } from "/js/live.js";
window.received = []; window.states = []; window.opened = 0;
const live = new LiveConnection(new URL(location).searchParams.get("ws"), {
  token: () => "the-token",
  onMessage: (m) => window.received.push(m.id),
  onState: (state) => window.states.push(state),
  onOpen: () => { window.opened += 1; },
});
live.start();
</script>"""


def message(message_id: str) -> str:
    return json.dumps({"id": message_id, "type": "rating.created", "at": "", "data": {}})


@dataclass
class Script:
    """Connection 1 sends a, a again and b, then drops; connection 2 sends a once more, then c."""

    paths: list[str] = field(default_factory=list)

    def __call__(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path if connection.request else "")
        if len(self.paths) == 1:
            for message_id in ("a", "a", "b"):
                connection.send(message(message_id))
            connection.close()
        else:
            connection.send(message("a"))
            connection.send(message("c"))
            connection.recv()  # hold it open until the page goes


@dataclass
class Refusing:
    """Every handshake answered 429, as the API answers one over the per-user cap."""

    refused: int = 0

    def __call__(self, connection: ServerConnection, request: Request) -> Response:
        self.refused += 1
        return connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "too many connections\n")


@pytest.fixture
def refusing() -> Iterator[tuple[Server, Refusing]]:
    script = Refusing()
    with serve(lambda connection: None, "127.0.0.1", 0, process_request=script) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server, script
        server.shutdown()


@pytest.fixture
def scripted() -> Iterator[tuple[Server, Script]]:
    script = Script()
    with serve(script, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server, script
        server.shutdown()


class _SiteHandler(SimpleHTTPRequestHandler):
    """web/dist, and the page above at /live.html. On 127.0.0.1, as the local dashboard is:
    Chromium keeps pages from elsewhere off loopback sockets."""

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        if self.path.startswith("/live.html"):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet."""


@pytest.fixture
def site() -> Iterator[str]:
    handler = functools.partial(_SiteHandler, directory=str(SITE))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_each_message_is_handed_on_once_and_a_dropped_socket_comes_back(
    browser: Browser, site: str, scripted: tuple[Server, Script]
) -> None:
    server, script = scripted
    port = server.socket.getsockname()[1]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site}/live.html?ws=ws://127.0.0.1:{port}/live")

        page.wait_for_function("window.received && window.received.length === 3", timeout=10_000)
        assert page.evaluate("window.received") == ["a", "b", "c"]
        states = page.evaluate("window.states")
        assert states[:4] == ["connecting", "open", "waiting", "connecting"], states
        assert states[-1] == "open"
        # Each open, the first too, has the panels load what was sent before it.
        assert page.evaluate("window.opened") == 2
        assert script.paths == ["/live?token=the-token"] * 2
    finally:
        context.close()


def test_a_socket_refused_five_times_in_a_row_gives_up_and_says_so(
    browser: Browser, site: str, refusing: tuple[Server, Refusing]
) -> None:
    server, script = refusing
    port = server.socket.getsockname()[1]
    context = browser.new_context()
    try:
        page = context.new_page()
        page.clock.install()  # the backoff's timers, run ahead rather than waited for
        page.goto(f"{site}/live.html?ws=ws://127.0.0.1:{port}/live")

        deadline = time.monotonic() + 20
        while "unavailable" not in page.evaluate("window.states"):
            assert time.monotonic() < deadline, page.evaluate("window.states")
            page.clock.run_for(31_000)  # past the longest backoff with its jitter
            page.wait_for_timeout(100)  # the real handshake, refused

        states = page.evaluate("window.states")
        assert states.count("connecting") == 5, states
        assert states.count("waiting") == 4, states
        assert states[-1] == "unavailable"
        page.clock.run_for(10 * 60_000)  # and it tries no more
        page.wait_for_timeout(300)
        assert page.evaluate("window.states")[-1] == "unavailable"
        assert script.refused == 5
        assert page.evaluate("window.opened") == 0
    finally:
        context.close()

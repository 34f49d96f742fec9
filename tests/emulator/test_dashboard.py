"""The local dashboard: the bucket's site directory as CloudFront serves it, and /config.json."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infra.local_runtime.dashboard import DashboardServer, resolve_file, site_directory
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from infra.site_config import from_outputs, site_config
from tests.emulator.conftest import FIXTURES, REALTIME_TEMPLATE

CONFIG = {"api": "http://127.0.0.1:3000"}


def get(server: DashboardServer, path: str) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        # http.client would normalise nothing: the path goes out as written, dots and all.
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard")
    site = root / "dist"
    (site / "js").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Dashboard</title>")
    (site / "js" / "main.js").write_text("export {};")
    (site / "styles.css").write_text("body{}")
    (site / "chart.umd.min.js.map").write_text("{}")
    (root / "secret.txt").write_text("outside the site")
    (site / "escape").symlink_to(root / "secret.txt")
    return site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[DashboardServer]:
    served = DashboardServer(site, lambda: CONFIG, port=0)
    served.server.start()
    yield served
    served.server.stop()


def test_the_root_is_index_html(server: DashboardServer) -> None:
    status, headers, body = get(server, "/")

    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert body.startswith(b"<!doctype html>")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/js/main.js", "text/javascript; charset=utf-8"),
        ("/styles.css", "text/css; charset=utf-8"),
        ("/chart.umd.min.js.map", "application/json"),
        ("/index.html", "text/html; charset=utf-8"),
    ],
)
def test_files_go_out_with_their_content_types(
    server: DashboardServer, path: str, content_type: str
) -> None:
    status, headers, _ = get(server, path)

    assert (status, headers["content-type"]) == (200, content_type)
    assert headers["x-content-type-options"] == "nosniff"


def test_config_json_is_built_for_each_request(server: DashboardServer) -> None:
    status, headers, body = get(server, "/config.json")

    assert (status, json.loads(body)) == (200, CONFIG)
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/js/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/js/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/escape",
        "/js/..%5c..%5csecret.txt",
        "/missing.js",
    ],
)
def test_nothing_outside_the_site_is_served(server: DashboardServer, path: str) -> None:
    status, _, body = get(server, path)

    assert status == 404
    assert b"outside the site" not in body


def test_resolve_file_never_leaves_the_site(site: Path) -> None:
    assert resolve_file(site, "/js/main.js") == (site / "js" / "main.js").resolve()
    assert resolve_file(site, "/js/../index.html") is None
    assert resolve_file(site, "/escape") is None
    assert resolve_file(site, "/\x00") is None


def test_a_site_not_built_gets_a_page_that_says_how_to_build_it(tmp_path: Path) -> None:
    served = DashboardServer(tmp_path / "dist", lambda: CONFIG, port=0)
    served.server.start()
    try:
        status, headers, body = get(served, "/")
    finally:
        served.server.stop()

    assert status == 503
    assert headers["content-type"].startswith("text/html")
    assert b"make web" in body


def test_the_site_is_the_directory_the_buckets_metadata_names() -> None:
    stack = Stack(Template(REALTIME_TEMPLATE))

    assert site_directory(stack) == (FIXTURES / "site").resolve()


def test_the_site_config_has_the_contracts_shape() -> None:
    config = site_config(
        api="http://127.0.0.1:3000/",
        websocket="ws://127.0.0.1:3001/live",
        sign_in="http://127.0.0.1:3003",
        client_id="client-1",
    )

    assert config == {
        "api": "http://127.0.0.1:3000",
        "websocket": "ws://127.0.0.1:3001/live",
        "auth": {
            "authorizeUrl": "http://127.0.0.1:3003/oauth2/authorize",
            "tokenUrl": "http://127.0.0.1:3003/oauth2/token",
            "logoutUrl": "http://127.0.0.1:3003/logout",
            "clientId": "client-1",
            "scope": "openid email profile",
        },
    }


def test_the_deployed_site_config_comes_from_the_stack_outputs() -> None:
    outputs = {
        "HttpApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com",
        "WebSocketUrl": "wss://def.execute-api.us-east-1.amazonaws.com/live",
        "SignInDomainUrl": "https://flexfleet.auth.us-east-1.amazoncognito.com",
        "UserPoolClientId": "client-2",
    }

    config = from_outputs(outputs)

    assert config["websocket"] == outputs["WebSocketUrl"]
    assert (
        config["auth"]["tokenUrl"]
        == "https://flexfleet.auth.us-east-1.amazoncognito.com/oauth2/token"
    )

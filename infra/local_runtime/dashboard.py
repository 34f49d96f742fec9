"""The dashboard on 127.0.0.1, standing in for its S3 bucket behind CloudFront.

The site is the directory the template's bucket names in `Metadata:
SiteContent` (relative to template.yaml), the same files `make deploy`
uploads. `/` is its index.html, as the distribution's default root object;
`/config.json` is built by infra/site_config.py from the runtime's own
addresses. Files go out with their content types (JavaScript as
text/javascript), nothing outside the directory is served (a `..`, an encoded
one, or a symlink out is 404), and a missing directory gets a page saying to
build the site first.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.local_runtime.http_server import BackgroundHttpServer
from infra.local_runtime.stack import Stack
from infra.site_config import CONTENT_TYPES, content_type

BUCKET = "AWS::S3::Bucket"

_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The dashboard is not built</title></head>
<body><main><h1>The dashboard is not built</h1>
<p>The site directory <code>{directory}</code> does not exist. Build it with
<code>make web</code> (which <code>make run</code> does first), then reload this page.</p>
</main></body></html>
"""


def site_directory(stack: Stack) -> Path | None:
    """The directory of the template's site, from the bucket whose Metadata has SiteContent."""
    for logical_id, resource in stack.template.of_type(BUCKET).items():
        content = (resource.get("Metadata") or {}).get("SiteContent")
        if content and stack.is_active(logical_id):
            return (stack.template.root / str(content)).resolve()
    return None


def resolve_file(site: Path, raw_path: str) -> Path | None:
    """The file a request path names inside `site`, or None: never a file outside it."""
    path = unquote(raw_path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    candidate = site.joinpath(*parts) if parts else site
    if candidate.is_dir():
        candidate = candidate / "index.html"
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(site.resolve()) or not resolved.is_file():
        return None
    return resolved


class DashboardServer:
    """Serves `site` and `/config.json` (from `config`, read at each request) on host:port."""

    def __init__(
        self,
        site: Path,
        config: Callable[[], dict[str, Any]],
        *,
        host: str = "127.0.0.1",
        port: int = 3002,
    ) -> None:
        self.site, self.config = site, config
        self.server = BackgroundHttpServer(_SiteHandler, host, port, "dashboard", owner=self)

    @property
    def url(self) -> str:
        return self.server.url


class _SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlexFleetLocalDashboard"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet, as the other local servers."""

    def _send(self, status: int, body: bytes, kind: str, cache: str = "no-cache") -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.send_header("cache-control", cache)
        self.send_header("x-content-type-options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        owner: DashboardServer = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        if path == "/config.json":
            self._send(
                HTTPStatus.OK,
                json.dumps(owner.config()).encode(),
                CONTENT_TYPES[".json"],
                "no-store",
            )
            return
        if not owner.site.is_dir():
            page = _NOT_BUILT.format(directory=html.escape(str(owner.site)))
            self._send(
                HTTPStatus.SERVICE_UNAVAILABLE, page.encode(), CONTENT_TYPES[".html"], "no-store"
            )
            return
        found = resolve_file(owner.site, path)
        if found is None:
            body = b"Not Found\n"
            self._send(HTTPStatus.NOT_FOUND, body, CONTENT_TYPES[".txt"])
            return
        self._send(HTTPStatus.OK, found.read_bytes(), content_type(found))

    do_HEAD = do_GET

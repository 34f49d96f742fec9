"""The browser tests' fixtures: Debian's chromium through Playwright, and the runtime's dashboard.

Chromium is never skipped: a missing one fails the run and says how to get it (`make chromium`,
which `make pytest` runs first). Screenshots, and every open page's when a test fails, go to
.local/artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests import ROOT
from tests.runtime_http import Api

# The `contexts` fixture: a new browser context (a separate user's browser) each call.
Contexts = Callable[..., BrowserContext]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / ".local" / "artifacts" / "browser"
SITE = ROOT / "web" / "dist"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: in Debian's chromium, through Playwright")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps each phase's report on the test, so that a fixture can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@dataclass(frozen=True)
class Dashboard:
    """The shared local runtime with its dashboard, WebSocket API and identity provider."""

    app: Api
    url: str
    websocket: str
    identity: str


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM}, and it is missing: "
            "`make chromium` installs it (as root; else `sudo apt-get install -y chromium`), "
            "or set CHROMIUM to its path",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def dashboard(app: Api) -> Dashboard:
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"{SITE.relative_to(ROOT)} is not built: `make web` builds it (`make pytest` does)",
            pytrace=False,
        )
    # The session's runtime keeps its state beside its log: runtime.json names every endpoint.
    state = json.loads((app.log_path.parent / "runtime.json").read_text())
    return Dashboard(app, state["dashboard"].rstrip("/"), state["websocket"], state["identity"])


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"


@pytest.fixture
def contexts(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Contexts]:
    """New browser contexts (each a separate user's browser, of `on` or the session's chromium);
    closed after the test.

    Any uncaught error in a page's script fails the test. When the test fails, every open page is
    screenshot into the artifacts."""
    opened: list[BrowserContext] = []
    errors: list[str] = []

    def new_context(on: Browser | None = None, **options: Any) -> BrowserContext:
        viewport = options.pop("viewport", DESKTOP)
        context = (on or browser).new_context(viewport=viewport, **options)
        context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
        opened.append(context)
        return context

    yield new_context
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for i, context in enumerate(opened):
            for j, page in enumerate(context.pages):
                page.screenshot(
                    path=artifact(f"{request.node.name}-failed-{i}-{j}"), full_page=True
                )
    for context in opened:
        context.close()
    assert not errors, f"the page's scripts failed: {errors}"


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    path = artifact(name)
    page.screenshot(path=path, full_page=full_page)
    return path

"""The dashboard under the Content-Security-Policy that CloudFront sends with it in AWS.

The policy is read from template.yaml (DashboardResponseHeadersPolicy), its AWS origins swapped for
the local runtime's, and put on the local dashboard's pages: signing in and every panel must work
without one violation (no inline script, no eval, nothing fetched from elsewhere).
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, expect

from infra.local_runtime.template import load_yaml
from tests import TEMPLATE
from tests.browser import pages
from tests.browser.conftest import CHROMIUM_ARGS, Contexts, Dashboard
from tests.browser.seed import rated, standing_counts
from tests.e2e.retail_http import unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""


def wait_until(page: Page, expression: str, timeout: float = 10.0) -> None:
    """Polls `expression` until it is truthy. Not page.wait_for_function: once its first check
    fails, it polls by eval inside the page, which this policy refuses (and reports)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        time.sleep(0.05)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def local_policy(dashboard: Dashboard) -> str:
    """The template's policy, with the local API, WebSocket and identity provider in it."""
    resources = load_yaml(TEMPLATE)["Resources"]
    config = resources["DashboardResponseHeadersPolicy"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]
    policy = str(
        config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    )
    aws = "${AWS::Region}.${AWS::URLSuffix}"
    for remote, local in {
        f"https://*.execute-api.{aws}": origin(dashboard.app.base_url),
        f"wss://*.execute-api.{aws}": origin(dashboard.websocket),
        "https://*.auth.${AWS::Region}.amazoncognito.com": origin(dashboard.identity),
    }.items():
        assert remote in policy, f"the template's policy no longer names {remote}"
        policy = policy.replace(remote, local)
    assert "${" not in policy, policy
    return " ".join(policy.split())


@pytest.fixture(scope="module")
def unguarded_browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    """Chromium without its Local Network Access checks: a page that Playwright fulfilled (to
    add the header) counts as public to Chromium, which would then keep it off the loopback API.
    In AWS every origin is public, so the checks have nothing to say there."""
    args = [*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"]
    launched = playwright.chromium.launch(executable_path=str(chromium), args=args)
    yield launched
    launched.close()


def test_signing_in_and_every_panel_work_under_the_deployed_content_security_policy(
    dashboard: Dashboard, unguarded_browser: Browser, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("d")
    rated(api, driver, [5, 3])
    standing_counts(api, driver, 2)
    policy = local_policy(dashboard)

    def with_policy(route: Route) -> None:
        if route.request.resource_type != "document":
            route.fallback()
            return
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": policy}
        route.fulfill(response=response, headers=headers)

    def redirect_afresh(route: Route) -> None:
        """The authorize page's redirect back, made a navigation of its own: Playwright routes
        no request that a redirect makes, and the return, where the code is traded, must be
        under the policy too."""
        if route.request.method != "POST":
            route.fallback()
            return
        location = route.fetch(max_redirects=0).headers["location"]
        refresh = f'<meta http-equiv="refresh" content="0; url={html.escape(location)}">'
        route.fulfill(status=200, content_type="text/html", body=refresh)

    context = contexts(on=unguarded_browser)
    context.route(f"{dashboard.url}/**", with_policy)
    context.route(f"{dashboard.identity}/oauth2/authorize", redirect_afresh)
    context.add_init_script(RECORD_VIOLATIONS)
    page = pages.sign_in(context, dashboard, "driver", driver)
    expect(page.locator("#feedback li.rating")).to_have_count(2)
    wait_until(page, "Boolean(window.Chart?.getChart(document.querySelector('#history canvas')))")
    expect(page.locator(".error:visible")).to_have_count(0)
    assert page.evaluate("window.__violations") == []

    # The policy is in force: an image from elsewhere is refused, and reported.
    page.evaluate(
        "document.body.append(Object.assign(new Image(), {src: 'https://example.invalid/x.png'}))"
    )
    wait_until(page, "window.__violations.length > 0")
    assert page.evaluate("window.__violations")[0].startswith("img-src")

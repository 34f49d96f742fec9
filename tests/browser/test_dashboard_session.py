"""What the page shows around a session: signed out, signed in without a view, a stale return from
the sign-in page, and what the header says about live updates for drivers and for ops."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.conftest import Contexts, Dashboard
from tests.browser.seed import rated, standing_counts
from tests.e2e.retail_http import unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


# Wraps the page's WebSocket and fetch before its scripts run, to record in what order the socket
# opened and the API was called.
RECORD_ORDER = """
window.__events = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("open", () => window.__events.push("open"));
  }
};
const nativeFetch = window.fetch;
window.fetch = (input, init) => {
  window.__events.push(String(input instanceof Request ? input.url : input));
  return nativeFetch(input, init);
};
"""


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.locator("#live-state")).to_be_hidden()


def test_a_signed_out_page_shows_no_sign_out_nor_live_badge_and_signing_out_hides_them(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    page = contexts().new_page()
    page.goto(dashboard.url + "/")
    expect_signed_out(page)

    pages.sign_in(page.context, dashboard, "driver", unique("d"), page=page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(dashboard.url + "/")
    expect_signed_out(page)


def test_an_ops_page_opens_no_socket_and_says_its_panels_load_on_refresh(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    context = contexts()
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))

    pages.sign_in(context, dashboard, "ops", unique("ops"), page=page)

    expect(page.locator("#disputes .panel-body")).not_to_contain_text("Loading")
    expect(page.locator("#live-state")).to_have_text(pages.OPS_NOT_LIVE)
    page.wait_for_timeout(500)  # time enough for a socket to have been opened, were it to be
    assert sockets == []


def test_a_customer_sees_a_neutral_title_and_the_page_calls_no_api(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    context = contexts()
    page = context.new_page()
    page.goto(dashboard.url + "/")
    called: list[str] = []
    page.on(
        "request",
        lambda request: (
            called.append(request.url) if request.url.startswith(dashboard.app.base_url) else None
        ),
    )

    pages.sign_in(context, dashboard, "customer", unique("c"), page=page)

    expect(page).to_have_title("FlexFleet dashboard")
    expect(page.locator("#notice")).to_contain_text("the dashboard is for drivers and ops")
    expect(page.locator("#live-state")).to_be_hidden()
    page.wait_for_timeout(500)
    assert called == []


def test_a_stale_return_from_the_sign_in_page_leaves_the_session_as_it_was(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    # As after Back to the authorize page and signing in again: a code and a state this tab no
    # longer expects, while its ID token is still good.
    page = pages.sign_in(contexts(), dashboard, "driver", unique("d"))

    page.goto(dashboard.url + "/?code=stale-code&state=stale-state")

    expect(page.get_by_role("heading", level=1)).to_have_text("Driver dashboard")
    pages.expect_live(page)
    expect(page.locator("#notice")).to_be_hidden()
    assert page.url == dashboard.url + "/"


def test_a_drivers_panels_first_load_once_the_socket_is_open_so_no_push_falls_between(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("d")
    rated(api, driver, [5])
    standing_counts(api, driver, 1)
    context = contexts()
    context.add_init_script(RECORD_ORDER)

    page = pages.sign_in(context, dashboard, "driver", driver)
    expect(page.locator("#feedback li.rating")).to_have_count(1)

    events: list[str] = page.evaluate("window.__events")
    panel_calls = [i for i, event in enumerate(events) if re.search(r"/drivers/", event)]
    assert "open" in events, events
    assert panel_calls, events
    assert events.index("open") < panel_calls[0], events

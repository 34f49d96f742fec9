"""What a user does on the dashboard, as the browser tests do it: sign in, wait, find, tab."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import BrowserContext, Locator, Page, expect

if TYPE_CHECKING:
    from tests.browser.conftest import Dashboard

TITLES = {"driver": "Driver dashboard", "ops": "Ops dashboard"}
NO_VIEW_TITLE = "FlexFleet dashboard"  # a customer's or a retailer's: the dashboard has no view
OPS_NOT_LIVE = "Ops panels update when you press Refresh"


def sign_in(
    context: BrowserContext, dashboard: Dashboard, role: str, user: str, page: Page | None = None
) -> Page:
    """Through the local authorize page, as a person would: no token is pasted anywhere."""
    page = page or context.new_page()
    page.goto(dashboard.url + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(dashboard.identity) + r"/oauth2/authorize\?"))
    page.get_by_label(role.capitalize(), exact=True).check()
    page.get_by_label("User id").fill(user)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(dashboard.url + "/")  # back, with the code already dropped from the URL
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLES.get(role, NO_VIEW_TITLE))
    if role == "driver":
        expect_live(page)
    elif role == "ops":  # ops get no pushes, and the header says so
        expect(page.locator("#live-state")).to_have_text(OPS_NOT_LIVE)
    return page


def expect_live(page: Page) -> None:
    expect(page.locator("#live-state")).to_have_text("Live updates: connected", timeout=10_000)


def rating(page: Page, rating_id: str) -> Locator:
    return page.locator(f'#feedback li.rating[data-rating-id="{rating_id}"]')


def offer(page: Page, block_id: str) -> Locator:
    return page.locator(f'#offers li.offer[data-block-id="{block_id}"]')


def tier(page: Page) -> Locator:
    return page.locator('#standing [data-testid="tier"]')


def tab_to(page: Page, target: Locator, *, most: int = 120) -> int:
    """Presses Tab until `target` has the focus; answers how many presses it took."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if target.evaluate("node => node === document.activeElement"):
            return presses
    raise AssertionError(f"{target} never got the focus in {most} presses of Tab")


def mark_loaded(page: Page) -> None:
    """Marks this load of the page: no_reload() then tells whether it was loaded again."""
    page.evaluate("window.__loadMark = 'this load'")


def no_reload(page: Page) -> bool:
    return bool(page.evaluate("window.__loadMark === 'this load'"))

"""The dashboard by keyboard alone, and on a phone-width screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.conftest import PHONE, Contexts, Dashboard, shot
from tests.browser.seed import fantastic_driver, publish_block, rated, standing_counts
from tests.e2e.retail_http import unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0: nothing to scroll sideways)."""
    return int(
        page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


def test_the_keyboard_reaches_and_works_the_main_actions(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("fan")
    fantastic_driver(api, driver)
    [rating_id] = rated(api, driver, [5])  # an eighth 5: still Fantastic, who sees blocks first
    standing_counts(api, driver, 8)
    block = publish_block(api)

    context = contexts()
    page = context.new_page()
    page.goto(dashboard.url + "/")
    # The skip link comes first, then the sign-in button, which Enter works.
    pages.tab_to(page, page.get_by_role("link", name="Skip to content"), most=1)
    pages.tab_to(page, page.get_by_role("button", name="Sign in"), most=3)
    page.keyboard.press("Enter")
    page.get_by_label("Driver", exact=True).check()
    page.get_by_label("User id").fill(driver)
    page.get_by_label("User id").press("Enter")
    page.wait_for_url(dashboard.url + "/")
    pages.expect_live(page)
    expect(pages.offer(page, block["blockId"])).to_be_visible()

    # Respond to the rating: the toggle, the field, the button, in the order they are read.
    item = pages.rating(page, rating_id)
    page.locator("body").focus()
    pages.tab_to(page, item.locator("summary", has_text="Respond"))
    page.keyboard.press("Enter")
    pages.tab_to(page, item.get_by_label("Your public response"), most=1)
    page.keyboard.type("Thanks for the feedback.")
    pages.tab_to(page, item.get_by_role("button", name="Send response"), most=1)
    page.keyboard.press("Enter")
    expect(pages.rating(page, rating_id).locator(".response")).to_have_text(
        "Your response: Thanks for the feedback."
    )

    # Accept the block: onwards from the rating, Tab reaches its button; Space presses it.
    accept = pages.offer(page, block["blockId"]).get_by_role("button", name="Accept block")
    pages.tab_to(page, accept)
    page.keyboard.press("Space")
    expect(page.locator(f'#blocks li[data-block-id="{block["blockId"]}"]')).to_be_visible()
    # The focus moves to the blocks' heading, where the accepted block now is.
    expect(page.locator("#blocks-title")).to_be_focused()
    shot(page, "keyboard-driver")


def test_a_phone_width_screen_shows_both_views_without_sideways_scrolling(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("fan")
    fantastic_driver(api, driver)
    rated(api, driver, [5])
    standing_counts(api, driver, 8)
    publish_block(api)

    page = pages.sign_in(contexts(viewport=PHONE), dashboard, "driver", driver)
    expect(page.locator("#offers li.offer").first).to_be_visible()
    page.locator("#feedback summary", has_text="Dispute").first.click()  # a form open, too
    page.wait_for_function(
        "window.Chart && Chart.getChart(document.querySelector('#history canvas'))"
    )
    assert horizontal_overflow(page) == 0, "the driver view scrolls sideways at 360 px"
    shot(page, "phone-driver")

    ops_page = pages.sign_in(contexts(viewport=PHONE), dashboard, "ops", unique("ops"))
    expect(ops_page.locator("#unassigned select")).to_be_visible()
    assert horizontal_overflow(ops_page) == 0, "the ops view scrolls sideways at 360 px"
    shot(ops_page, "phone-ops")

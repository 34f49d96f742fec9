"""The README's picture of the driver view, docs/dashboard.png: `make dashboard-screenshot`.

Not named test_*, so `make test` never rewrites the committed picture; pytest runs it when named.
Run alone, it has the session's runtime to itself, and moves its clock a day between deliveries,
so that the chart shows two weeks of standing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests import ROOT
from tests.browser import pages
from tests.browser.conftest import Dashboard
from tests.browser.seed import VEGAS, delivery, publish_block, rate, standing_counts, token
from tests.e2e.retail_http import call, move_clock, ok

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

README_SCREENSHOT = ROOT / "docs" / "dashboard.png"
# A 4 on the second day, then fives: Great until the 13th five lifts R~ to (96 + 4 + 65) / 34 =
# 4.8529, Fantastic; the 14th makes it 4.8571.
FEEDBACK = [
    (5, None),
    (4, "Friendly, a bit late"),
    *[(5, None)] * 12,
    (5, "Careful with the glass, thank you!"),
]


def test_the_readme_screenshot_of_the_driver_view(
    dashboard: Dashboard, contexts: Callable[..., BrowserContext]
) -> None:
    api, driver = dashboard.app, "d-123"
    for day, (stars, comment) in enumerate(FEEDBACK):
        now = move_clock(api, 86400 if day else 0)
        customer = f"c-{day}"
        rate(api, delivery(api, driver, customer, now), customer, stars, comment)
    assert standing_counts(api, driver, len(FEEDBACK))["tier"] == "Fantastic"
    body = {"mallIds": [VEGAS]}
    ok(call(api, "PUT", f"/drivers/{driver}/preferences", token(api, "driver", driver), body))
    publish_block(api)
    publish_block(api, hours_ahead=54)

    context = contexts(viewport={"width": 1280, "height": 1000})
    page = pages.sign_in(context, dashboard, "driver", driver)
    started = time.monotonic()
    expect(pages.tier(page)).to_have_text("Fantastic", timeout=30_000)
    print(f"standing shown {time.monotonic() - started:.1f} s after sign-in")
    expect(page.locator("#offers li.offer")).to_have_count(2)
    page.wait_for_function(
        "window.Chart && Chart.getChart(document.querySelector('#history canvas'))"
    )
    page.screenshot(path=README_SCREENSHOT, full_page=False)

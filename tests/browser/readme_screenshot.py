"""The README's picture of the driver view, docs/dashboard.png: `make dashboard-screenshot`.

Not named test_*, so `make test` never rewrites the committed picture; pytest runs it when named.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests import ROOT
from tests.browser import pages
from tests.browser.conftest import Dashboard
from tests.browser.seed import (
    delivery,
    fantastic_driver,
    publish_block,
    rate,
    rated,
    standing_counts,
)
from tests.e2e.retail_http import runtime_now

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

README_SCREENSHOT = ROOT / "docs" / "dashboard.png"


def test_the_readme_screenshot_of_the_driver_view(
    dashboard: Dashboard, contexts: Callable[..., BrowserContext]
) -> None:
    # 13 five-star ratings and a 4 keep d-123 Fantastic: (96 + 65 + 4) / 34 = 4.8529.
    api, driver = dashboard.app, "d-123"
    fantastic_driver(api, driver)
    rated(api, driver, [5] * 6)
    customer = "c-42"
    rate(
        api, delivery(api, driver, customer, runtime_now(api)), customer, 4, "Friendly, a bit late"
    )
    standing_counts(api, driver, 14)
    publish_block(api)
    publish_block(api, hours_ahead=54)
    context = contexts(viewport={"width": 1280, "height": 1000})
    page = pages.sign_in(context, dashboard, "driver", driver)
    expect(page.locator("#offers li.offer").first).to_be_visible()
    page.wait_for_function(
        "window.Chart && Chart.getChart(document.querySelector('#history canvas'))"
    )
    page.screenshot(path=README_SCREENSHOT, full_page=False)

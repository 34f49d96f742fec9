"""The dashboard's forms: required fields marked, refusals in the form's own words, and a decision
someone else made first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.browser.conftest import Contexts, Dashboard
from tests.browser.seed import rated, standing_counts, token
from tests.e2e.retail_http import call, ok, unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_dispute_needs_a_reason_chosen_and_a_refusal_names_the_forms_own_fields(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("d")
    [rating_id] = rated(api, driver, [3])
    standing_counts(api, driver, 1)
    page = pages.sign_in(contexts(), dashboard, "driver", driver)
    item = pages.rating(page, rating_id)

    item.get_by_text("Dispute", exact=True).click()
    reason = item.get_by_label("Reason")
    expect(reason).to_have_value("")  # "Choose a reason": nothing is picked for the driver
    expect(reason.locator("option:checked")).to_have_text("Choose a reason")
    for label in ("Reason", "What happened"):
        expect(item.locator("label", has_text=label)).to_contain_text("(required)")
        expect(item.get_by_label(label)).to_have_attribute("required", "")
    item.get_by_label("What happened").fill("Storm warning that day")
    item.get_by_role("button", name="Send dispute").click()
    expect(item.get_by_role("alert")).to_have_text("Reason: choose one of the options.")

    item.get_by_text("Respond", exact=True).click()
    expect(item.locator("label", has_text="Your public response")).to_contain_text("(required)")
    response = item.locator("form", has=page.get_by_label("Your public response"))
    response.get_by_role("button", name="Send response").click()
    expect(response.get_by_role("alert")).to_have_text(re.compile(r"^Your public response: "))


def test_a_dispute_decided_elsewhere_meanwhile_leaves_the_ops_list_and_says_why(
    dashboard: Dashboard, contexts: Contexts
) -> None:
    api, driver = dashboard.app, unique("d")
    [rating_id] = rated(api, driver, [2])
    body = {"reason": "customer_error", "text": "Wrong address given"}
    ok(call(api, "POST", f"/ratings/{rating_id}/dispute", token(api, "driver", driver), body), 201)
    page = pages.sign_in(contexts(), dashboard, "ops", unique("ops"))
    card = page.locator(f'#disputes li[data-dispute-id="{rating_id}"]')
    expect(card).to_contain_text("Wrong address given")
    note = card.get_by_label("Note for the driver")
    expect(card.locator("label")).to_contain_text("(required)")
    expect(note).to_have_attribute("required", "")

    # Another ops user decides it first, in another browser.
    decision = {"decision": "rejected", "note": "Address was right"}
    path = f"/disputes/{rating_id}/decision"
    ok(call(api, "POST", path, token(api, "ops", unique("ops")), decision), 200, 201)
    note.fill("Wrong address, confirmed")
    card.get_by_role("button", name=f"Uphold the dispute of rating {rating_id}").click()

    expect(card).to_have_count(0)  # the list is loaded again, without the stale card
    said = page.locator("#disputes [role=status]")
    expect(said).to_contain_text("is closed already")
    expect(said).to_contain_text("The list has been loaded again.")
    expect(said).not_to_contain_text("(Dispute)")
    expect(page.locator("#disputes-title")).to_be_focused()

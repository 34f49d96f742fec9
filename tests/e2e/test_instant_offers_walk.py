"""Instant offers over HTTP, against a local runtime of their own whose clock the test moves.

An order at a mall where nobody works a block goes out as an instant offer when dispatch runs
(here on the orders stream), to the best tier first; the Fantastic driver declines, the Great
driver lets it expire, and the Fair driver accepts, picks it up and delivers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from flexfleet.instant_offers import config
from flexfleet.instant_offers.model import InstantOffer
from flexfleet.instant_offers.repository import offer_item
from flexfleet.tiers import Tier
from tests import TEMPLATE
from tests.e2e.retail_http import at, call, move_clock, ok, poll, runtime_now, stand, unique
from tests.runtime_http import Api, start_runtime

pytestmark = pytest.mark.e2e

CHANDLER = "chandler-fashion-center"  # nobody works a block there in this runtime
AT_CHANDLER = {"lat": 33.3020, "lng": -111.8980}  # 0.1 km from the mall's point
IN_TOWN = {"lat": 33.3300, "lng": -111.8985}  # 3.2 km north
DROPOFF = {"lat": 33.3200, "lng": -111.8800, "address": "1 Saguaro Ln"}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A runtime of this module's own: its clock moves, which would upset other tests."""
    state = tmp_path_factory.mktemp("instant")
    yield from start_runtime(TEMPLATE, state, state / "runtime.log")


def pending(api: Api, driver_id: str) -> dict[str, Any] | None:
    """The driver's one open instant offer, if any."""
    token = api.runtime.token("driver", driver_id)
    offers = ok(call(api, "GET", f"/drivers/{driver_id}/instant-offers", token))["offers"]
    assert len(offers) <= 1, offers
    return offers[0] if offers else None


def test_an_order_nobody_on_a_block_can_serve_is_declined_expires_and_goes_to_the_next_tier(
    runtime: Api,
) -> None:
    api = runtime
    fan, great, fair = unique("fan"), unique("great"), unique("fair")
    store, customer, order_id = unique("store"), unique("cust"), unique("o")
    token = api.runtime.token
    ops = token("ops", "ops-1")
    ok(
        call(api, "PUT", f"/retailers/{store}", ops, {"name": "Cactus Books", "mallId": CHANDLER}),
        201,
    )

    # 1. Three drivers go online near the mall; the Fantastic one is the furthest away.
    for driver_id, tier, where in (
        (fan, Tier.FANTASTIC, IN_TOWN),
        (great, Tier.GREAT, AT_CHANDLER),
        (fair, Tier.FAIR, AT_CHANDLER),
    ):
        stand(api, driver_id, tier)
        shown = ok(
            call(
                api,
                "PUT",
                f"/drivers/{driver_id}/availability",
                token("driver", driver_id),
                {"online": True, **where},
            )
        )
        assert (shown["online"], shown["driverId"]) == (True, driver_id)

    # 2. The store places an order. Dispatch runs on the orders stream: nobody works a block at
    # the mall, so it goes out as an instant offer, to the Fantastic driver first.
    now = runtime_now(api)
    body = {
        "orderId": order_id,
        "customerId": customer,
        "dropoff": DROPOFF,
        "readyAt": at(now),
        "deliverBy": at(now + timedelta(hours=2)),
        "packages": {"count": 1, "size": "small"},
        "tip": "3.00",
    }
    ok(call(api, "POST", "/retail/orders", token("retailer", store), body), 201)
    first = poll(lambda: pending(api, fan), "the instant offer to the Fantastic driver")
    assert (first["offerId"], first["tier"], first["hourlyRate"]) == (
        f"{order_id}:1",
        "Fantastic",
        "19.50",
    )
    minutes = first["estimatedMinutes"]
    assert Decimal(first["pay"]) == (Decimal("19.50") * minutes / 60).quantize(Decimal("0.01"))
    assert (first["tip"], first["storeName"]) == ("3.00", "Cactus Books")
    assert pending(api, great) is None and pending(api, fair) is None

    # 3. The Fantastic driver declines: the Great driver is offered it at once, a dollar more.
    declined = ok(call(api, "POST", f"/instant-offers/{order_id}:1/decline", token("driver", fan)))
    assert declined["status"] == "declined"
    second = poll(lambda: pending(api, great), "the instant offer to the Great driver")
    assert (second["offerId"], second["tier"], second["hourlyRate"]) == (
        f"{order_id}:2",
        "Great",
        "20.50",
    )

    # 4. The Great driver lets the window pass; the expiry job offers it to the Fair driver.
    move_clock(api, config.OFFER_WINDOW.total_seconds() + 1)
    api.runtime.fire("InstantOffersScheduleFunction")
    third = poll(lambda: pending(api, fair), "the instant offer to the Fair driver")
    assert (third["offerId"], third["tier"], third["hourlyRate"]) == (
        f"{order_id}:3",
        "Fair",
        "21.50",
    )
    late = call(api, "POST", f"/instant-offers/{order_id}:2/accept", token("driver", great))
    assert (late.status, late.json["code"]) == (409, "offer_expired")

    # 5. The Fair driver accepts: the order is theirs, with no block; accepting again (a retry)
    # answers the accepted offer.
    fair_token = token("driver", fair)
    accepted = ok(call(api, "POST", f"/instant-offers/{order_id}:3/accept", fair_token))
    assert accepted["status"] == "accepted"
    again = ok(call(api, "POST", f"/instant-offers/{order_id}:3/accept", fair_token))
    assert again == accepted
    order = ok(call(api, "GET", f"/retail/orders/{order_id}", ops))
    assert (order["status"], order["driverId"], order.get("blockId")) == ("assigned", fair, None)

    # 6. Pickup at the store and delivery at the door work as for an order from a block.
    picked = ok(call(api, "POST", f"/retail/orders/{order_id}/pickup", fair_token, AT_CHANDLER))
    delivered = ok(
        call(
            api, "POST", f"/retail/orders/{order_id}/delivery", fair_token, {"outcome": "delivered"}
        )
    )
    assert (picked["status"], delivered["status"]) == ("picked_up", "delivered")

    # 7. Ops read every offer of the order and how each ended.
    history = ok(call(api, "GET", f"/retail/orders/{order_id}/instant-offers", ops))["offers"]
    assert [(o["driverId"], o["status"]) for o in history] == [
        (fan, "declined"),
        (great, "expired"),
        (fair, "accepted"),
    ]
    assert all(o["endedAt"] for o in history)


def test_racing_accepts_of_one_order_over_http_give_exactly_one_winner(runtime: Api) -> None:
    """Two drivers with offers of the same order (as a stale run could leave them), one of them
    accepting twice, all at once: one driver gets the order, a repeat of the winner's accept
    answers the same accepted offer, and the loser gets 409s that say why."""
    api = runtime
    store, order_id = unique("store"), unique("o")
    first, second = unique("d"), unique("d")
    token = api.runtime.token
    ops = token("ops", "ops-1")
    ok(call(api, "PUT", f"/retailers/{store}", ops, {"name": "Race Shop", "mallId": CHANDLER}), 201)
    now = runtime_now(api)
    tomorrow = now + timedelta(days=1)  # dispatch leaves it alone
    body = {
        "orderId": order_id,
        "customerId": unique("cust"),
        "dropoff": DROPOFF,
        "readyAt": at(tomorrow),
        "deliverBy": at(tomorrow + timedelta(hours=2)),
        "packages": {"count": 1, "size": "small"},
    }
    order = ok(call(api, "POST", "/retail/orders", token("retailer", store), body), 201)
    for round_, driver_id in ((1, first), (2, second)):
        offer = InstantOffer.model_validate(
            {
                **{k: order[k] for k in ("orderId", "storeName", "readyAt", "deliverBy")},
                **{k: order[k] for k in ("dropoff", "packages", "tip")},
                "offerId": f"{order_id}:{round_}",
                "round": round_,
                "mallId": CHANDLER,
                "driverId": driver_id,
                "tier": "Great",
                "status": "pending",
                "offeredAt": at(now),
                "expiresAt": at(now + timedelta(hours=1)),
                "hourlyRate": "19.50",
                "estimatedMinutes": 20,
                "pay": "6.50",
                "pickupKm": 0.1,
            }
        )
        api.aws("dynamodb").put_item(
            TableName="flexfleet-InstantOffersTable", Item=offer_item(offer)
        )
    attempts = [(first, 1), (second, 2), (first, 1)]
    with ThreadPoolExecutor(len(attempts)) as pool:
        replies = list(
            pool.map(
                lambda attempt: call(
                    api,
                    "POST",
                    f"/instant-offers/{order_id}:{attempt[1]}/accept",
                    token("driver", attempt[0]),
                ),
                attempts,
            )
        )

    outcomes = [(r.status, r.body) for r in replies]
    assert {r.status for r in replies} == {200, 409}, outcomes
    winners = {attempts[i][0] for i, reply in enumerate(replies) if reply.status == 200}
    assert len(winners) == 1, outcomes
    losers = [r for i, r in enumerate(replies) if attempts[i][0] not in winners]
    assert losers and all(r.status == 409 for r in losers), outcomes
    assert {r.json["code"] for r in losers} <= {"order_taken", "offer_closed"}
    assert all(r.json["status"] == "accepted" for r in replies if r.status == 200)
    assigned = ok(call(api, "GET", f"/retail/orders/{order_id}", ops))
    assert (assigned["status"], assigned["driverId"]) == ("assigned", *winners)

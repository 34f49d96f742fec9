"""The retail walk over HTTP, against a local runtime of its own whose clock the tests move.

From a published block to a rated delivery and the driver's earnings, through the functions,
streams and schedules of template.yaml; and block times on the day of a DST change. The clock
only moves forward, so each test reads the runtime's time and works from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from flexfleet.blocks import config
from flexfleet.tiers import Tier
from tests import TEMPLATE
from tests.e2e.retail_http import at, call, move_clock, ok, poll, runtime_now, stand, unique
from tests.runtime_http import Api, start_runtime

pytestmark = pytest.mark.e2e

VEGAS = "fashion-show-las-vegas"
CHANDLER = "chandler-fashion-center"
AT_VEGAS = {"lat": 36.1280, "lng": -115.1705}  # 0.1 km from the mall's point


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A runtime of this module's own: its clock moves, which would upset other tests."""
    state = tmp_path_factory.mktemp("retail")
    yield from start_runtime(TEMPLATE, state, state / "runtime.log")


def offered(api: Api, driver_id: str, token: str) -> list[str]:
    answer = ok(call(api, "GET", f"/drivers/{driver_id}/offers", token))
    return [offer["block"]["blockId"] for offer in answer["offers"]]


def test_the_retail_walk_from_a_published_block_to_a_rated_delivery_and_the_earnings(
    runtime: Api,
) -> None:
    api = runtime
    fan, fair, store, customer = unique("fan"), unique("fair"), unique("store"), unique("cust")
    block_id, order_id = unique("b"), unique("o")
    tokens = api.runtime.token
    ops, retailer = tokens("ops", "ops-1"), tokens("retailer", store)
    fan_token, fair_token = tokens("driver", fan), tokens("driver", fair)
    customer_token = tokens("customer", customer)
    now = runtime_now(api)
    # More than 3 hours ahead, and filled at once: no surge moves the figures.
    start, end = now + timedelta(hours=10), now + timedelta(hours=12)

    # 1. Ops onboard a retailer and publish a block 10 hours ahead, for one driver.
    ok(call(api, "PUT", f"/retailers/{store}", ops, {"name": "Shoe Palace", "mallId": VEGAS}), 201)
    block = ok(
        call(
            api,
            "POST",
            "/blocks",
            ops,
            {
                "blockId": block_id,
                "mallId": VEGAS,
                "shiftType": "retail",
                "start": at(start),
                "end": at(end),
                "capacity": 1,
            },
        ),
        201,
    )
    assert (block["hourlyRate"], block["pay"], float(block["hours"])) == ("19.50", "39.00", 2)
    releases = {Tier.of_label(t): datetime.fromisoformat(m) for t, m in block["releases"].items()}
    published = datetime.fromisoformat(block["publishedAt"])
    assert releases[Tier.GREAT] - published == config.RELEASE_DELAYS[Tier.GREAT]
    assert releases[Tier.FAIR] - published == config.RELEASE_DELAYS[Tier.FAIR]
    # At Risk's 12 hours would pass MIN_LEAD_TIME before the start: it is brought forward.
    assert releases[Tier.AT_RISK] == start - config.MIN_LEAD_TIME

    # 2. A Fantastic driver sees it; a Fair driver does not, and cannot take it.
    stand(api, fan, Tier.FANTASTIC)
    stand(api, fair, Tier.FAIR)
    for driver_id, token in ((fan, fan_token), (fair, fair_token)):
        ok(call(api, "PUT", f"/drivers/{driver_id}/preferences", token, {"mallIds": [VEGAS]}))
    assert offered(api, fan, fan_token) == [block_id]
    assert offered(api, fair, fair_token) == []
    assert call(api, "POST", f"/blocks/{block_id}/accept", fair_token).status == 404

    # 3. Past the Fair release, the Fair driver sees it.
    now = move_clock(api, (releases[Tier.FAIR] - now).total_seconds() + 60)
    fair_token = tokens("driver", fair)
    assert offered(api, fair, fair_token) == [block_id]

    # 4. The Fantastic driver accepts, then checks in at the mall 20 minutes before the start.
    fan_token = tokens("driver", fan)
    booking = ok(call(api, "POST", f"/blocks/{block_id}/accept", fan_token), 201)
    assert booking["status"] == "held" and booking["hourlyRate"] == "19.50"
    now = move_clock(api, (start - now).total_seconds() - 20 * 60)
    fan_token = tokens("driver", fan)
    far = {"lat": 36.2, "lng": -115.3}
    assert call(api, "POST", f"/blocks/{block_id}/check-in", fan_token, far).status == 422
    checked_in = ok(call(api, "POST", f"/blocks/{block_id}/check-in", fan_token, AT_VEGAS))
    assert checked_in["status"] == "checked_in"

    # 5. The block starts; the retailer places an order, and dispatch assigns it.
    now = move_clock(api, (start - now).total_seconds() + 60)
    # Tokens are minted at the runtime's time: fresh ones after each move.
    retailer, fan_token = tokens("retailer", store), tokens("driver", fan)
    customer_token = tokens("customer", customer)
    order = {
        "orderId": order_id,
        "customerId": customer,
        "dropoff": {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
        "readyAt": at(now),
        "deliverBy": at(now + timedelta(hours=2)),
        "packages": {"count": 2, "size": "small"},
        "tip": "4.50",
    }
    placed = ok(call(api, "POST", "/retail/orders", retailer, order), 201)
    assert (placed["status"], placed["mallId"]) == ("placed", VEGAS)

    def assigned() -> Any:
        seen = ok(call(api, "GET", f"/retail/orders/{order_id}", retailer))
        return seen if seen["status"] == "assigned" else None

    # The orders stream triggers the DispatchFunction at once.
    seen = poll(assigned, "the order assigned by the DispatchFunction")
    assert (seen["driverId"], seen["blockId"]) == (fan, block_id)
    as_driver = ok(call(api, "GET", f"/retail/orders/{order_id}", fan_token))
    assert "customerId" not in as_driver
    as_customer = ok(call(api, "GET", f"/retail/orders/{order_id}", customer_token))
    assert as_customer["status"] == "assigned" and as_customer["eta"]
    assert "driverId" not in as_customer

    # 6. Pickup at the store, then delivery at the door.
    picked = ok(call(api, "POST", f"/retail/orders/{order_id}/pickup", fan_token, AT_VEGAS))
    assert picked["status"] == "picked_up"
    assert call(api, "POST", f"/retail/orders/{order_id}/cancel", retailer).status == 409
    delivered = ok(
        call(
            api, "POST", f"/retail/orders/{order_id}/delivery", fan_token, {"outcome": "delivered"}
        )
    )
    assert delivered["status"] == "delivered"

    # 7. The customer rates the delivery, and the driver's standing counts it.
    ok(call(api, "POST", f"/deliveries/{order_id}/rating", customer_token, {"stars": 5}), 201)

    def counted() -> Any:
        standing = ok(call(api, "GET", f"/drivers/{fan}/standing", fan_token))
        return standing if standing["coaching"]["counts"]["ratingsCounted"] == 1 else None

    # Standing is recomputed from the ratings stream.
    standing = poll(counted, "the rating counted in standing")
    assert standing["components"]["customerRating"]["value"].startswith("4.8095")

    # 8. After the block ends, the earnings show it: 2 hours at 19.50, and the whole tip.
    now = move_clock(api, (end - now).total_seconds() + 60)
    fan_token = tokens("driver", fan)
    period = f"from={quote(at(start - timedelta(days=1)))}&to={quote(at(now))}"
    earnings = ok(call(api, "GET", f"/drivers/{fan}/earnings?{period}", fan_token))
    assert earnings["blocksWorked"] == 1
    assert float(earnings["hours"]) == 2
    assert (earnings["basePay"], earnings["surge"]) == ("39.00", "0.00")
    assert (earnings["tips"], earnings["total"]) == ("4.50", "43.50")


def test_a_rating_reaches_standing_through_the_stream_after_the_clock_moved_two_hours(
    runtime: Api,
) -> None:
    api = runtime
    driver, customer = unique("d"), unique("c")
    move_clock(api, 2 * 3600)
    now = runtime_now(api)
    delivery = {
        "deliveryId": unique("del"),
        "driverId": driver,
        "customerId": customer,
        "promisedWindow": {"start": at(now - timedelta(hours=1)), "end": at(now)},
        "deliveredAt": at(now - timedelta(minutes=5)),
        "outcome": "delivered",
        "source": "station",
    }
    ok(call(api, "POST", "/deliveries", api.runtime.token("system", "station-1"), delivery), 201)
    customer_token = api.runtime.token("customer", customer)
    rating = {"stars": 5}
    ok(
        call(api, "POST", f"/deliveries/{delivery['deliveryId']}/rating", customer_token, rating),
        201,
    )
    driver_token = api.runtime.token("driver", driver)

    def counted() -> bool:
        reply = call(api, "GET", f"/drivers/{driver}/standing", driver_token)
        return reply.status == 200 and reply.json["coaching"]["counts"]["ratingsCounted"] == 1

    poll(counted, "the rating counted by the standing stream", timeout=5)


def test_blocks_on_the_day_daylight_saving_starts_are_paid_for_the_hours_actually_worked(
    runtime: Api,
) -> None:
    """2027-03-14: Las Vegas springs forward at 02:00 (01:00 PST to 05:00 PDT is 3 real hours);
    Chandler, in America/Phoenix, has no DST (01:00 to 05:00 MST is 4)."""
    api = runtime
    vegas_start = datetime.fromisoformat("2027-03-14T01:00:00-08:00")
    now = runtime_now(api)
    if now < vegas_start - timedelta(days=3):  # publishing needs a lead of at most 14 days
        now = move_clock(api, (vegas_start - timedelta(days=3) - now).total_seconds())
    ops = api.runtime.token("ops", "ops-1")
    blocks = {}
    for mall, start, end in (
        (VEGAS, "2027-03-14T01:00:00-08:00", "2027-03-14T05:00:00-07:00"),
        (CHANDLER, "2027-03-14T01:00:00-07:00", "2027-03-14T05:00:00-07:00"),
    ):
        body = {
            "blockId": unique("dst"),
            "mallId": mall,
            "shiftType": "weekend",
            "start": start,
            "end": end,
            "capacity": 1,
        }
        blocks[mall] = ok(call(api, "POST", "/blocks", ops, body), 201)

    vegas, chandler = blocks[VEGAS], blocks[CHANDLER]
    assert vegas["timeZone"] == "America/Los_Angeles"
    assert (vegas["start"], vegas["end"]) == ("2027-03-14T09:00:00Z", "2027-03-14T12:00:00Z")
    assert vegas["localStart"] == "2027-03-14T01:00:00-08:00"
    assert vegas["localEnd"] == "2027-03-14T05:00:00-07:00"
    assert (float(vegas["hours"]), vegas["hourlyRate"], vegas["pay"]) == (3, "22.50", "67.50")

    assert chandler["timeZone"] == "America/Phoenix"
    assert (chandler["start"], chandler["end"]) == ("2027-03-14T08:00:00Z", "2027-03-14T12:00:00Z")
    assert chandler["localStart"] == "2027-03-14T01:00:00-07:00"
    assert chandler["localEnd"] == "2027-03-14T05:00:00-07:00"
    assert (float(chandler["hours"]), chandler["hourlyRate"], chandler["pay"]) == (
        4,
        "22.50",
        "90.00",
    )

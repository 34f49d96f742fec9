"""Dispatch over HTTP: a mall's orders and its checked-in drivers, matched by the DispatchFunction
on the local runtime, with the engine and its solver as they run in Lambda.

Against a runtime of this module's own, whose clock the test moves, at a mall of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from flexfleet.tiers import Tier
from tests import TEMPLATE
from tests.e2e.retail_http import at, call, move_clock, ok, poll, runtime_now, stand, unique
from tests.runtime_http import Api, start_runtime

pytestmark = pytest.mark.e2e

MALL_AT = {"lat": 36.1274, "lng": -115.1712}
DOORS = [
    {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
    {"lat": 36.1000, "lng": -115.2000, "address": "2 Oak Ave"},
    {"lat": 36.1400, "lng": -115.1200, "address": "3 Pine Rd"},
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    state = tmp_path_factory.mktemp("dispatch-round")
    yield from start_runtime(TEMPLATE, state, state / "runtime.log")


def test_orders_at_a_mall_with_three_checked_in_drivers_are_assigned_in_one_dispatch_round(
    api: Api,
) -> None:
    ops = api.runtime.token("ops", "ops-dispatch")
    mall, store = unique("mall"), unique("store")
    details = {
        "name": "Dispatch Mall",
        "city": "Las Vegas",
        "state": "NV",
        "location": {"lat": MALL_AT["lat"], "lng": MALL_AT["lng"]},
        "timeZone": "America/Los_Angeles",
        "serviceRadiusKm": 20,
    }
    ok(call(api, "PUT", f"/malls/{mall}", ops, details), 201)
    ok(call(api, "PUT", f"/retailers/{store}", ops, {"name": "Shoe", "mallId": mall}), 201)
    drivers = [unique("d") for _ in range(3)]
    for driver_id in drivers:
        stand(api, driver_id, Tier.FANTASTIC)
        token = api.runtime.token("driver", driver_id)
        ok(call(api, "PUT", f"/drivers/{driver_id}/preferences", token, {"mallIds": [mall]}))
    start = runtime_now(api) + timedelta(hours=2, minutes=5)
    block_id = unique("b")
    block = {
        "blockId": block_id,
        "mallId": mall,
        "shiftType": "retail",
        "start": at(start),
        "end": at(start + timedelta(hours=3)),
        "capacity": 3,
    }
    ok(call(api, "POST", "/blocks", ops, block), 201)
    for driver_id in drivers:
        token = api.runtime.token("driver", driver_id)
        ok(call(api, "POST", f"/blocks/{block_id}/accept", token), 201)
    move_clock(api, (start - runtime_now(api)).total_seconds() - 20 * 60)
    for driver_id in drivers:
        token = api.runtime.token("driver", driver_id)  # minted at the moved time
        checked_in = ok(call(api, "POST", f"/blocks/{block_id}/check-in", token, MALL_AT))
        assert checked_in["status"] == "checked_in"
    now = move_clock(api, (start - runtime_now(api)).total_seconds() + 60)

    # Ready in 20 minutes: the stream's runs hold them, since no driver need set off yet.
    retailer = api.runtime.token("retailer", store)
    ready = now + timedelta(minutes=20)
    orders = [unique("o") for _ in DOORS]
    before = len(api.runtime.invocations())
    for order_id, door in zip(orders, DOORS, strict=True):
        body = {
            "orderId": order_id,
            "customerId": unique("c"),
            "dropoff": door,
            "readyAt": at(ready),
            "deliverBy": at(ready + timedelta(hours=1)),
            "packages": {"count": 1, "size": "small"},
        }
        ok(call(api, "POST", "/retail/orders", retailer, body), 201)

    def seen() -> list[Any]:
        ops = api.runtime.token("ops", "ops-dispatch")  # minted at the runtime's moved time
        return [ok(call(api, "GET", f"/retail/orders/{o}", ops)) for o in orders]

    def dispatched() -> bool:
        since = api.runtime.invocations(since=before)
        return any(e["function"] == "DispatchFunction" for e in since)

    poll(dispatched, "the orders stream ran the DispatchFunction")
    assert {o["status"] for o in seen()} == {"placed"}

    move_clock(api, 20 * 60)
    api.runtime.fire("DispatchFunction")

    def all_assigned() -> list[Any] | None:
        now_seen = seen()
        return now_seen if all(o["status"] == "assigned" for o in now_seen) else None

    assigned = poll(all_assigned, "every order assigned by one dispatch round")
    assert len({o["assignedAt"] for o in assigned}) == 1  # one run's `now`: one round
    assert {o["driverId"] for o in assigned} <= set(drivers)
    assert all(o.get("unassigned") is None for o in assigned)
    carried = []
    for driver_id in drivers:
        token = api.runtime.token("driver", driver_id)
        answer = ok(call(api, "GET", f"/drivers/{driver_id}/assignments", token))
        carried += [o["orderId"] for o in answer["orders"]]
    assert sorted(carried) == sorted(orders)  # each order with one driver, once

"""Retail under concurrent requests over HTTP: capacity holds, and a transition happens once.

Against a local runtime of this module's own, whose clock the tests move. Each test works at a
mall of its own, which ops add with PUT /malls, so that no other test's drivers get its reserved
offers or its orders. The local moto answers one DynamoDB request at a time, so each conditional
write and each transaction is atomic there as in DynamoDB (see MotoServer): what these tests
find is the product's, not the stand-in's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import pytest

from flexfleet.tiers import Tier
from tests import TEMPLATE
from tests.e2e.retail_http import at, call, move_clock, ok, poll, stand, unique
from tests.runtime_http import Api, Reply, start_runtime

pytestmark = pytest.mark.e2e

# Where each test's mall stands: Fashion Show's point, in Las Vegas's zone.
MALL_AT = {"lat": 36.1274, "lng": -115.1712}
DROPOFF = {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A runtime of this module's own: its clock moves, which would upset other tests."""
    state = tmp_path_factory.mktemp("retail-concurrency")
    yield from start_runtime(TEMPLATE, state, state / "runtime.log")


def at_once(calls: Sequence[Callable[[], Reply]]) -> list[Reply]:
    """Every call on a thread of its own, all released together."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda send: send(), calls))


def outcomes(replies: list[Reply]) -> Counter[tuple[int, str | None]]:
    """How many replies had each (status, error code)."""
    return Counter((r.status, r.json.get("code") if r.status >= 400 else None) for r in replies)


@dataclass
class Mall:
    """A mall of one test's own, with the drivers and the retailer it needs."""

    api: Api
    mall_id: str

    @classmethod
    def opened(cls, api: Api) -> Mall:
        mall = cls(api, unique("mall"))
        details = {
            "name": "Test Mall",
            "city": "Las Vegas",
            "state": "NV",
            "location": {"lat": MALL_AT["lat"], "lng": MALL_AT["lng"]},
            "timeZone": "America/Los_Angeles",
            "serviceRadiusKm": 20,
        }
        ok(call(api, "PUT", f"/malls/{mall.mall_id}", mall.ops(), details), 201)
        return mall

    def ops(self) -> str:
        return self.api.runtime.token("ops", "ops-concurrency")

    def drivers(self, n: int) -> list[str]:
        """n Fantastic drivers who prefer this mall, made at once."""
        ids = [unique("d") for _ in range(n)]

        def make(driver_id: str) -> Reply:
            stand(self.api, driver_id, Tier.FANTASTIC)
            token = self.api.runtime.token("driver", driver_id)
            body = {"mallIds": [self.mall_id]}
            return call(self.api, "PUT", f"/drivers/{driver_id}/preferences", token, body)

        for reply in at_once([partial(make, d) for d in ids]):
            ok(reply)
        return ids

    def block(self, start: datetime, capacity: int, hours: int = 2) -> str:
        block_id = unique("b")
        body = {
            "blockId": block_id,
            "mallId": self.mall_id,
            "shiftType": "retail",
            "start": at(start),
            "end": at(start + timedelta(hours=hours)),
            "capacity": capacity,
        }
        ok(call(self.api, "POST", "/blocks", self.ops(), body), 201)
        return block_id

    def holders(self, block_id: str, drivers: list[str]) -> set[str]:
        """The drivers whose booking of the block is held or checked in, as ops read them."""
        ops = self.ops()

        def holds(driver_id: str) -> bool:
            answer = ok(call(self.api, "GET", f"/drivers/{driver_id}/blocks", ops))
            return any(
                b["blockId"] == block_id and b["status"] in ("held", "checked_in")
                for phase in ("upcoming", "active")
                for b in answer[phase]
            )

        with ThreadPoolExecutor(16) as pool:
            return {d for d, held in zip(drivers, pool.map(holds, drivers), strict=True) if held}

    def counts(self, block_id: str) -> tuple[int, int]:
        """The block's own counts: (held, taken)."""
        item = self.api.aws("dynamodb").get_item(
            TableName="flexfleet-BlocksTable", Key={"blockId": {"S": block_id}}, ConsistentRead=True
        )["Item"]
        return int(item["held"]["N"]), int(item["taken"]["N"])


def now_of(api: Api) -> datetime:
    return move_clock(api, 0)


def test_fifty_drivers_accepting_a_block_of_ten_at_once_get_ten_places_and_forty_block_full(
    api: Api,
) -> None:
    mall = Mall.opened(api)
    drivers = mall.drivers(50)
    # Published after every driver chose the mall: two of the ten places are reserved offers,
    # which two of these drivers take through their offer while the others race for the pool.
    block_id = mall.block(now_of(api) + timedelta(hours=3), capacity=10)
    tokens = {d: api.runtime.token("driver", d) for d in drivers}

    replies = at_once(
        [partial(call, api, "POST", f"/blocks/{block_id}/accept", tokens[d]) for d in drivers]
    )

    assert outcomes(replies) == {(201, None): 10, (409, "block_full"): 40}
    accepted = {d for d, r in zip(drivers, replies, strict=True) if r.status == 201}
    assert mall.holders(block_id, drivers) == accepted
    assert mall.counts(block_id) == (10, 10)


def test_twenty_identical_transitions_at_once_succeed_once_and_the_others_are_conflicts(
    api: Api,
) -> None:
    mall = Mall.opened(api)
    first, second = mall.drivers(2)
    store = unique("store")
    ok(
        call(
            api, "PUT", f"/retailers/{store}", mall.ops(), {"name": "Shoe", "mallId": mall.mall_id}
        ),
        201,
    )
    start = now_of(api) + timedelta(hours=2, minutes=5)
    block_id = mall.block(start, capacity=2)
    for driver_id in (first, second):
        ok(
            call(api, "POST", f"/blocks/{block_id}/accept", api.runtime.token("driver", driver_id)),
            201,
        )
    # Check-in opens 30 minutes before the start: both drivers check in at the mall then, and
    # dispatch assigns orders to them once the block has started.
    move_clock(api, (start - now_of(api)).total_seconds() - 20 * 60)
    for driver_id in (first, second):
        token = api.runtime.token("driver", driver_id)  # minted at the moved time
        checked_in = ok(call(api, "POST", f"/blocks/{block_id}/check-in", token, MALL_AT))
        assert checked_in["status"] == "checked_in"
    now = move_clock(api, (start - now_of(api)).total_seconds() + 60)
    retailer = api.runtime.token("retailer", store)
    orders = [unique("o"), unique("o")]
    for order_id in orders:
        body = {
            "orderId": order_id,
            "customerId": unique("c"),
            "dropoff": DROPOFF,
            "readyAt": at(now),
            "deliverBy": at(now + timedelta(hours=2)),
            "packages": {"count": 1, "size": "small"},
        }
        ok(call(api, "POST", "/retail/orders", retailer, body), 201)

    # The orders stream would start dispatch; its one-minute schedule is fired here instead.
    api.runtime.fire("DispatchFunction")

    def assigned() -> dict[str, str] | None:
        seen = [ok(call(api, "GET", f"/retail/orders/{o}", retailer)) for o in orders]
        if all(o["status"] == "assigned" for o in seen):
            return {o["orderId"]: o["driverId"] for o in seen}
        return None

    driver_of = poll(assigned, "both orders assigned by DispatchFunction")
    assert set(driver_of.values()) == {first, second}
    picked, cancelled = orders
    picker = api.runtime.token("driver", driver_of[picked])

    replies = at_once(
        [partial(call, api, "POST", f"/retail/orders/{picked}/pickup", picker, MALL_AT)] * 20
        + [partial(call, api, "POST", f"/retail/orders/{cancelled}/cancel", retailer)] * 20
    )

    assert outcomes(replies[:20]) == {(200, None): 1, (409, "illegal_transition"): 19}
    assert outcomes(replies[20:]) == {(200, None): 1, (409, "illegal_transition"): 19}
    assert ok(call(api, "GET", f"/retail/orders/{picked}", retailer))["status"] == "picked_up"
    assert ok(call(api, "GET", f"/retail/orders/{cancelled}", retailer))["status"] == "cancelled"
    # The cancel freed its driver, once; the pickup kept the other's order with them.
    for order_id, driver_id in driver_of.items():
        token = api.runtime.token("driver", driver_id)
        carried = ok(call(api, "GET", f"/drivers/{driver_id}/assignments", token))["orders"]
        assert [o["orderId"] for o in carried] == ([picked] if order_id == picked else [])


def test_forfeits_and_accepts_racing_on_a_small_block_never_pass_its_capacity(api: Api) -> None:
    capacity, rounds, racing = 3, 4, 10
    mall = Mall.opened(api)
    drivers = mall.drivers(capacity + racing)
    tokens = {d: api.runtime.token("driver", d) for d in drivers}
    block_id = mall.block(now_of(api) + timedelta(hours=4), capacity=capacity)
    for driver_id in drivers[:capacity]:
        ok(call(api, "POST", f"/blocks/{block_id}/accept", tokens[driver_id]), 201)
    holding = set(drivers[:capacity])

    for _ in range(rounds):
        # Every holder gives the place back while every other driver tries to take one; a
        # driver who forfeited in an earlier round may accept the block again.
        leaving = sorted(holding)
        coming = [d for d in drivers if d not in holding]
        replies = at_once(
            [partial(call, api, "POST", f"/blocks/{block_id}/forfeit", tokens[d]) for d in leaving]
            + [partial(call, api, "POST", f"/blocks/{block_id}/accept", tokens[d]) for d in coming]
        )

        forfeits, accepts = replies[: len(leaving)], replies[len(leaving) :]
        assert outcomes(forfeits) == {(200, None): len(leaving)}
        assert set(outcomes(accepts)) <= {(201, None), (409, "block_full")}, outcomes(accepts)
        holding = {d for d, r in zip(coming, accepts, strict=True) if r.status == 201}
        assert len(holding) <= capacity
        assert mall.holders(block_id, drivers) == holding
        assert mall.counts(block_id) == (len(holding), len(holding))
        # Top the block up again, one by one, so that the next round starts full.
        for driver_id in [d for d in drivers if d not in holding][: capacity - len(holding)]:
            ok(call(api, "POST", f"/blocks/{block_id}/accept", tokens[driver_id]), 201)
            holding.add(driver_id)

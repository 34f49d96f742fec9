"""Retail shipping's DynamoDB bill: requests per order, accept and transition, the cost of listing
offers as other malls' blocks grow, and warm accept latency, all on moto in-process.

Requests are counted through botocore's hooks on the services' one client, as in the
integration tests. Capacity is modelled from the requests and the sizes of the items they
carry, because moto's own figures leave out transactions; the rules are printed with it.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
from moto import mock_aws

from flexfleet.blocks.model import BlockRequest, CheckIn, Preferences
from flexfleet.blocks.repository import PREFERENCE, PREFERENCES, SCHEDULE, block_item
from flexfleet.geo import Point
from flexfleet.identity import Caller
from flexfleet.malls.model import RetailerDetails
from flexfleet.retail.model import DeliveryOutcome, OrderRequest
from flexfleet.tiers import Tier
from infra.local_runtime.resources import create_table_request
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import TABLE, Template
from tests.bench.dynamodb_costs import ROOT

OPS = Caller(sub="ops-1", groups=frozenset({"ops"}))
RETAILER = Caller(sub="store-7", groups=frozenset({"retailer"}))
MALL = "fashion-show-las-vegas"
OTHER_MALLS = ("chandler-fashion-center", "tysons-corner-center", "baybrook-mall-friendswood")
AT_MALL = Point(lat=36.1300, lng=-115.1700)
# DynamoDB's units: a read unit is one strongly consistent read of up to 4 KB (half for an
# eventually consistent one, which every index read is); a write unit is one write of up to
# 1 KB; a transaction's items cost twice as much.
READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
TRANSACTION_FACTOR = 2
CAPACITY_RULES = (
    "capacity is modelled from each request and the sizes of the items it returns or puts:",
    "  a read is 1 RCU per 4 KB, 0.5 if eventually consistent (as every index read is); a GetItem",
    "  or BatchGetItem key pays that even for a missing item; a write is 1 WCU per 1 KB, and a",
    "  TransactWriteItems of k items costs 2 WCU per item (2k); an UpdateItem counts as 1 KB,",
    "  which the largest stored item, below, bears out",
)


# ---------------------------------------------------------------------------- item sizes
def value_bytes(value: dict[str, Any]) -> int:
    """A DynamoDB attribute value's size, by AWS's published rules (numbers approximately)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        digits = data.lstrip("-").replace(".", "").strip("0")
        return (max(1, len(digits)) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(value_bytes({"N": n}) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + value_bytes(v) for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def _read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / READ_UNIT_BYTES)) * (1.0 if consistent else 0.5)


def _write_units(size: int | None) -> int:
    return max(1, math.ceil((size or WRITE_UNIT_BYTES) / WRITE_UNIT_BYTES))


# ---------------------------------------------------------------------------- the call log
@dataclass
class Call:
    """One DynamoDB request: what it touched, and its modelled capacity."""

    operation: str
    parts: list[str]
    items_read: int = 0
    rcu: float = 0.0
    wcu: float = 0.0

    def describe(self) -> str:
        return f"{self.operation} {', '.join(self.parts)}" if self.parts else self.operation


@dataclass
class CallLog:
    """Every DynamoDB request of one client, in order, with what it touched and cost."""

    short_names: dict[str, str]
    calls: list[Call] = field(default_factory=list)
    _pending: dict[str, Any] = field(default_factory=dict)

    def attach(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def reset(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls

    def _name(self, table: str, index: str | None = None) -> str:
        name = self.short_names.get(table, table)
        return f"{name}.{index}" if index else name

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._pending = dict(params)
        operation = model.name
        call = Call(operation, [])
        if operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, write),) = entry.items()
                call.parts.append(f"{kind} {self._name(write['TableName'])}")
                size = item_bytes(write["Item"]) if kind == "Put" else None
                call.wcu += TRANSACTION_FACTOR * _write_units(size)
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                keys = len(request["Keys"])
                call.parts.append(self._name(table) + (f" x{keys}" if keys > 1 else ""))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            condition = " (conditional)" if "ConditionExpression" in params else ""
            call.parts.append(self._name(params["TableName"]) + condition)
            call.wcu = _write_units(item_bytes(params["Item"]) if operation == "PutItem" else None)
        elif "TableName" in params:
            consistent = " (consistent)" if params.get("ConsistentRead") else ""
            call.parts.append(self._name(params["TableName"], params.get("IndexName")) + consistent)
        self.calls.append(call)

    def _after(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        call, params = self.calls[-1], self._pending
        if model.name == "GetItem":
            found = parsed.get("Item")
            call.items_read = 1 if found else 0
            call.rcu = _read_units(item_bytes(found or {}), bool(params.get("ConsistentRead")))
        elif model.name == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead"))
                found = parsed.get("Responses", {}).get(table, [])
                call.items_read += len(found)
                call.rcu += sum(_read_units(item_bytes(i), consistent) for i in found)
                missing = len(request["Keys"]) - len(found)
                call.rcu += missing * _read_units(0, consistent)
        elif model.name in ("Query", "Scan"):
            found = parsed.get("Items", [])
            call.items_read = int(parsed.get("ScannedCount", len(found)))
            consistent = bool(params.get("ConsistentRead")) and "IndexName" not in params
            call.rcu = _read_units(sum(item_bytes(i) for i in found), consistent)


def short_names(stack: Stack) -> dict[str, str]:
    return {stack.table_name(t): t.removesuffix("Table") for t in stack.template.of_type(TABLE)}


def largest_item(stack: Stack) -> tuple[int, str]:
    """The largest item stored in any table, read with a client of its own (not counted)."""
    client = boto3.client("dynamodb")
    largest = (0, "none")
    for table in stack.template.of_type(TABLE):
        pages = client.get_paginator("scan").paginate(TableName=stack.table_name(table))
        for page in pages:
            for item in page["Items"]:
                largest = max(largest, (item_bytes(item), table.removesuffix("Table")))
    return largest


# ---------------------------------------------------------------------------- the retail world
def driver(sub: str) -> Caller:
    return Caller(sub=sub, groups=frozenset({"driver"}))


class Retail:
    """The services over moto, with one client both counted and logged, and a settable clock.

    The tables are template.yaml's, without their streams: nothing here reads a stream, and
    moto copies a table's whole stream history in every transaction that touches it, a cost
    that grows with each write and that DynamoDB does not have."""

    def __init__(self, *, logged: bool = True) -> None:
        from tests.integration.conftest import World

        self.stack = Stack(Template(ROOT / "template.yaml"))
        client = boto3.client("dynamodb")
        for logical_id in self.stack.template.of_type(TABLE):
            if not self.stack.is_active(logical_id):
                continue
            request = create_table_request(self.stack, logical_id)
            request.pop("StreamSpecification", None)
            client.create_table(**request)
        self.world = World(self.stack)
        self.log = CallLog(short_names(self.stack))
        if logged:
            self.log.attach(self.world.client)
        self.world.catalogue.seed_pilots()
        self.world.catalogue.onboard(
            OPS, RETAILER.sub, RetailerDetails(name="Shoe Palace", mall_id=MALL)
        )

    def fantastic(self, driver_id: str, *malls: str) -> None:
        """A Fantastic driver, as the standing stream writes one, who prefers these malls."""
        level = {"N": str(int(Tier.FANTASTIC))}
        self.world.client.put_item(
            TableName=self.world.standings.table_name,
            Item={
                "driverId": {"S": driver_id},
                "ratingTier": level,
                "onTimeTier": level,
                "completionTier": level,
            },
        )
        self.world.blocks.set_preferences(
            driver(driver_id), driver_id, Preferences(mall_ids=list(malls or (MALL,)))
        )

    def publish(
        self, block_id: str, *, mall: str = MALL, starts_in: float = 10, capacity: int = 10
    ) -> Any:
        start = self.world.now + timedelta(hours=starts_in)
        body = {
            "blockId": block_id,
            "mallId": mall,
            "shiftType": "retail",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=4)).isoformat(),
            "capacity": capacity,
        }
        block, _ = self.world.blocks.publish(OPS, BlockRequest.model_validate(body))
        return block

    def order(self, order_id: str) -> OrderRequest:
        now = self.world.now
        return OrderRequest.model_validate(
            {
                "orderId": order_id,
                "customerId": "cust-1",
                "dropoff": {"lat": 36.1600, "lng": -115.1500, "address": "1 Elm St"},
                "readyAt": now.isoformat(),
                "deliverBy": (now + timedelta(hours=2)).isoformat(),
                "packages": {"count": 2, "size": "small"},
                "tip": "4.50",
            }
        )


# ---------------------------------------------------------------------------- 1. per operation
@dataclass
class Figure:
    """The calls of each run of one operation."""

    label: str
    runs: list[list[Call]] = field(default_factory=list)

    def line(self) -> str:
        n = len(self.runs)
        requests = sum(len(r) for r in self.runs) / n
        rcu = sum(c.rcu for r in self.runs for c in r) / n
        wcu = sum(c.wcu for r in self.runs for c in r) / n
        shapes = Counter(tuple(c.describe() for c in r) for r in self.runs)
        (shape, _), *others = shapes.most_common()
        varies = f"   ({len(others)} other shapes in {n} runs)" if others else ""
        made_of = "\n".join(f"{'':9}{i}. {part}" for i, part in enumerate(shape, 1))
        return (
            f"   {self.label:26} {requests:5.2f} requests   {rcu:4.1f} RCU  {wcu:4.1f} WCU"
            f"{varies}\n{made_of}"
        )


def measured(log: CallLog, figure: Figure, action: Any) -> Any:
    log.reset()
    answer = action()
    figure.runs.append(log.reset())
    return answer


def per_operation(runs: int) -> None:
    print(f"\n== retail: DynamoDB requests per operation ({runs} runs each, moto in-process)")
    print("   requests counted by botocore's hooks on the services' client;")
    for line in CAPACITY_RULES:
        print(f"   {line}")
    with mock_aws():
        retail = Retail()
        world, log = retail.world, retail.log
        pool = Figure("accept, open pool")
        reserved = Figure("accept, reserved offer")
        placed = Figure("place an order")
        cancel_placed = Figure("cancel a placed order")
        assign = Figure("assign: a dispatch run")
        pickup = Figure("pickup")
        deliver = Figure("delivery")
        cancel_assigned = Figure("cancel an assigned order")
        # Published before anyone prefers the mall: no reserved offers, every place in the pool.
        retail.publish("pool", capacity=runs)
        drivers = [f"fan-{n}" for n in range(runs)]
        for name in drivers:
            retail.fantastic(name)
        # Capacity 5 x runs: a fifth of it reserved, one offer for each driver who prefers it.
        retail.publish("reserved", starts_in=30, capacity=5 * runs)
        for name in drivers:
            booking, _ = measured(log, pool, lambda n=name: world.blocks.accept(driver(n), "pool"))
            assert booking.status == "held" and not booking.reserved, booking
            booking, _ = measured(
                log, reserved, lambda n=name: world.blocks.accept(driver(n), "reserved")
            )
            assert booking.reserved, "no reserved offer was taken"

        # One driver checked in on an active block carries the orders, one at a time.
        retail.fantastic("runner")
        retail.publish("shift", starts_in=50, capacity=1)
        world.blocks.accept(driver("runner"), "shift")
        world.now += timedelta(hours=50) - timedelta(minutes=10)
        world.blocks.check_in(driver("runner"), "shift", CheckIn(lat=AT_MALL.lat, lng=AT_MALL.lng))
        world.now += timedelta(minutes=10)
        runner = driver("runner")
        for n in range(runs):
            order, created = measured(
                log, placed, lambda n=n: world.orders.place(RETAILER, retail.order(f"p-{n}"))
            )
            assert created and order.status == "placed"
            measured(log, cancel_placed, lambda n=n: world.orders.cancel(RETAILER, f"p-{n}"))
        for n in range(runs):
            world.orders.place(RETAILER, retail.order(f"w-{n}"))
            outcome = measured(log, assign, lambda: world.dispatch.run([MALL]))
            assert outcome.assigned == 1, outcome
            measured(log, pickup, lambda n=n: world.orders.pickup(runner, f"w-{n}", AT_MALL))
            done = measured(
                log,
                deliver,
                lambda n=n: world.orders.deliver(
                    runner, f"w-{n}", DeliveryOutcome(outcome="delivered")
                ),
            )
            assert done.status == "delivered"
        for n in range(runs):
            world.orders.place(RETAILER, retail.order(f"c-{n}"))
            world.dispatch.run([MALL])
            cancelled = measured(
                log, cancel_assigned, lambda n=n: world.orders.cancel(RETAILER, f"c-{n}")
            )
            assert cancelled.status == "cancelled"
        for figure in (
            placed,
            pool,
            reserved,
            assign,
            cancel_placed,
            cancel_assigned,
            pickup,
            deliver,
        ):
            print(figure.line())
        size, table = largest_item(retail.stack)
        verdict = "so every item costs the minimum" if size <= WRITE_UNIT_BYTES else "OVER 1 KB"
        print(f"   largest item stored: {size} bytes ({table}), {verdict}")


# ---------------------------------------------------------------------------- 2. offers
def _other_blocks(retail: Retail, count: int, first: int) -> None:
    """Blocks at malls the driver does not prefer: one published through the service at each
    mall, the rest its copies under new ids, written 25 at a time by a client of their own."""
    client, table = boto3.client("dynamodb"), retail.world.block_repository.tables.blocks
    templates = [retail.world.block_repository.block(f"model-{m}") for m in OTHER_MALLS]
    models = [t for t in templates if t is not None]
    assert len(models) == len(OTHER_MALLS), "a model block was not stored"
    items = [
        block_item(models[n % len(models)].model_copy(update={"block_id": f"other-{n}"}))
        for n in range(first, first + count)
    ]
    for start in range(0, len(items), 25):
        batch: list[Any] = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
        while batch:
            answer = client.batch_write_item(RequestItems={table: batch})
            batch = answer.get("UnprocessedItems", {}).get(table, [])


def offers_cost(scales: tuple[int, ...] = (0, 100, 1000)) -> None:
    """Prints the figures, and REGRESSION if listing offers read more as other malls' blocks
    grew: the bench's verdicts are lines, as OVER TARGET is for its targets."""
    print(
        "\n== retail: GET offers for one driver as blocks at malls the driver doesn't prefer grow"
    )
    print("   the driver prefers one mall, with 5 upcoming blocks and a reserved offer on each;")
    print("   requests and items read must not grow: ratio 1.00, else REGRESSION")
    with mock_aws():
        retail = Retail()
        world, log = retail.world, retail.log
        retail.fantastic("fan")
        for n in range(5):
            retail.publish(f"mine-{n}", starts_in=10 + 5 * n)
        for mall in OTHER_MALLS:
            retail.publish(f"model-{mall}", mall=mall, starts_in=12)
        rows = []
        present = 0
        for scale in scales:
            _other_blocks(retail, scale - present, present)
            present = scale
            log.reset()
            listed = world.blocks.offers(driver("fan"), "fan")
            calls = log.reset()
            rows.append((len(calls), sum(c.items_read for c in calls), sum(c.rcu for c in calls)))
            shape = ", ".join(
                f"{n} x {what}" if n > 1 else what
                for what, n in Counter(c.describe() for c in calls).items()
            )
            print(
                f"   {scale + len(OTHER_MALLS):5} blocks elsewhere   {rows[-1][0]} requests   "
                f"{rows[-1][1]:4} items read   {rows[-1][2]:4.1f} RCU   "
                f"{len(listed.offers)} offers   [{shape}]"
            )
    (requests, items, _), (most_requests, most_items, _) = rows[0], rows[-1]
    ratio_requests, ratio_items = most_requests / requests, most_items / items
    grew = most_requests > requests or most_items > items
    verdict = "REGRESSION: listing offers grows with the blocks of other malls" if grew else "ok"
    print(
        f"   ratio {scales[-1] + len(OTHER_MALLS)} / {scales[0] + len(OTHER_MALLS)} blocks "
        f"elsewhere: requests {ratio_requests:.2f}, items read {ratio_items:.2f}   {verdict}"
    )


# ---------------------------------------------------------------------------- 3. latency
class RequestTime:
    """The wall time a client spends inside its DynamoDB requests: here, moto's own work."""

    def __init__(self, client: Any) -> None:
        self.seconds = 0.0
        self._started = 0.0
        client.meta.events.register("provide-client-params.dynamodb.*", self._start)
        client.meta.events.register("after-call.dynamodb.*", self._stop)

    def _start(self, **_: Any) -> None:
        self._started = time.perf_counter()

    def _stop(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


class Drivers:
    """Fantastic drivers who prefer the mall, one at a time: each is written just before its
    accept and removed after it, untimed, by a client of its own. moto copies every table a
    transaction touches, so tables that grew with each accept would time moto's copying,
    which DynamoDB does not do; its items are those the standing stream, set_preferences and
    the accept write."""

    def __init__(self, retail: Retail) -> None:
        self._client = boto3.client("dynamodb")
        self._standing = retail.world.standings.table_name
        self._drivers = retail.world.block_repository.tables.drivers
        self._bookings = retail.world.block_repository.tables.bookings
        self._entries = (PREFERENCE + MALL, PREFERENCES, SCHEDULE)

    def add(self, name: str) -> None:
        level = {"N": str(int(Tier.FANTASTIC))}
        self._client.put_item(
            TableName=self._standing,
            Item={
                "driverId": {"S": name},
                "ratingTier": level,
                "onTimeTier": level,
                "completionTier": level,
            },
        )
        # As set_preferences writes them: the mall's own entry, and the list an accept reads.
        self._client.put_item(
            TableName=self._drivers,
            Item={
                "driverId": {"S": name},
                "entry": {"S": PREFERENCE + MALL},
                "preferredMall": {"S": MALL},
            },
        )
        self._client.put_item(
            TableName=self._drivers,
            Item={
                "driverId": {"S": name},
                "entry": {"S": PREFERENCES},
                "mallIds": {"L": [{"S": MALL}]},
            },
        )

    def remove(self, name: str, block_id: str) -> None:
        """The items in the tables an accept's transaction touches."""
        for entry in self._entries:
            key = {"driverId": {"S": name}, "entry": {"S": entry}}
            self._client.delete_item(TableName=self._drivers, Key=key)
        key = {"blockId": {"S": block_id}, "driverId": {"S": name}}
        self._client.delete_item(TableName=self._bookings, Key=key)


def accept_latency(accepts: int, warmup: int = 20) -> None:
    print(f"\n== retail: warm in-process accept latency, BlockService.accept ({accepts} accepts)")
    for line in (
        "moto in-process, NOT DynamoDB's latency: moto's Python does the storage's work, and",
        "copies each table a transaction touches, which DynamoDB does not; so each driver's",
        "items are removed after its accept, untimed, keeping the tables' size constant.",
        "Each accept by a distinct Fantastic driver, 100 to a block; baseline: a consistent",
        "GetItem of a block on the same client, interleaved with the accepts",
    ):
        print(f"   {line}")
    with mock_aws():
        retail = Retail(logged=False)
        world = retail.world
        total = accepts + warmup
        blocks = [f"big-{n}" for n in range(math.ceil(total / 100))]
        for block_id in blocks:  # before anyone prefers the mall: all 100 places in the pool
            retail.publish(block_id, capacity=100)
        drivers = Drivers(retail)
        in_requests = RequestTime(world.client)
        key = {"blockId": {"S": blocks[0]}}
        table = world.block_repository.tables.blocks
        accept_s: list[float] = []
        moto_s: list[float] = []
        get_s: list[float] = []
        world.requests.reset()
        for n in range(total):  # interleaved, so that noise hits both series alike
            name, block_id = f"d-{n}", blocks[n // 100]
            drivers.add(name)
            started = time.perf_counter()
            world.client.get_item(TableName=table, Key=key, ConsistentRead=True)
            get_s.append(time.perf_counter() - started)
            before = in_requests.seconds
            started = time.perf_counter()
            booking, created = world.blocks.accept(driver(name), block_id)
            accept_s.append(time.perf_counter() - started)
            moto_s.append(in_requests.seconds - before)
            assert created and booking.status == "held"
            drivers.remove(name, block_id)
        per_accept = (world.requests.total - total) / total  # less the baselines
    accept_s, moto_s, get_s = accept_s[warmup:], moto_s[warmup:], get_s[warmup:]
    own_s = [a - m for a, m in zip(accept_s, moto_s, strict=True)]
    base = statistics.median(get_s)
    rows = (
        (f"accept ({per_accept:.2f} requests)", accept_s),
        ("  in botocore + moto", moto_s),
        ("  in the service itself", own_s),
        ("GetItem, baseline", get_s),
    )
    for label, series in rows:
        ratio = statistics.median(series) / base
        print(f"   {label:26} {_summary(series)}   {ratio:6.2f}x a GetItem (p50)")


def _summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(seconds) * 1000:6.2f} ms   p99 {p99 * 1000:7.2f} ms"

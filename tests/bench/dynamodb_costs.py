"""DynamoDB requests per operation, counted through botocore's event hooks against moto.

Every request of the services' client is counted by operation; each is also
asked for ReturnConsumedCapacity=TOTAL, and the capacity units moto reports are
summed where it reports them.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from collections import Counter
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from flexfleet import composition
from flexfleet.deliveries.model import DeliveryReport
from flexfleet.errors import AlreadyRated
from flexfleet.identity import Caller
from flexfleet.ratings.model import RatingSubmission
from flexfleet.standing.daily_sweep import DailySweep
from flexfleet.standing.stream import StreamRecord, standing_batch
from infra.local_runtime.resources import create_queues, create_tables
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests.factories import delivery_report, lambda_context, stream_event_from_table

_CAPACITY_OPERATIONS = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
}
ROOT = Path(__file__).resolve().parents[2]
_READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
SYSTEM = Caller(sub="station", groups=frozenset({"system"}))


class Meter:
    """Counts a client's DynamoDB requests and the capacity units moto reports for them."""

    def __init__(self, client: Any) -> None:
        self.requests: Counter[str] = Counter()
        self.read_units = 0.0
        self.write_units = 0.0
        self.reported = 0
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask_capacity)
        client.meta.events.register("before-call.dynamodb.*", self._count)
        client.meta.events.register("after-call.dynamodb.*", self._capacity)

    def _ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _CAPACITY_OPERATIONS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, model: Any, **_: Any) -> None:
        self.requests[model.name] += 1

    def _capacity(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            self.reported += 1
            units = float(entry.get("CapacityUnits") or 0)
            if model.name in _READS:
                self.read_units += units
            else:
                self.write_units += units

    def reset(self) -> None:
        self.requests.clear()
        self.read_units = self.write_units = 0.0
        self.reported = 0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def capacity(self) -> str:
        if not self.reported:
            return "capacity: moto reported none"
        return f"capacity: {self.read_units:.1f} RCU, {self.write_units:.1f} WCU"


class Bench:
    """The services over moto with one metered client, as in the integration tests."""

    def __init__(self) -> None:
        from tests.integration.conftest import World

        self.stack = Stack(
            Template(__import__("pathlib").Path(__file__).resolve().parents[2] / "template.yaml")
        )
        create_tables(self.stack, boto3.client("dynamodb"))
        create_queues(self.stack, boto3.client("sqs"))
        self.world = World(self.stack)
        self.meter = Meter(self.world.client)

    def deliver(self, n: int, driver: str, *, days_ago: float = 0) -> tuple[str, Caller]:
        customer = Caller(sub=f"c-{n}", groups=frozenset({"customer"}))
        report = delivery_report(
            f"del-{n}",
            driver_id=driver,
            customer_id=customer.sub,
            promised_start=self.world.now - timedelta(days=days_ago, hours=2),
        )
        self.world.deliveries.record(SYSTEM, DeliveryReport.model_validate(report))
        return report["deliveryId"], customer

    def rate(self, delivery_id: str, customer: Caller, stars: int = 5) -> bool:
        """True for a new rating, False for a second attempt (refused, writing nothing)."""
        try:
            self.world.ratings.submit(customer, delivery_id, RatingSubmission(stars=stars))
        except AlreadyRated:
            return False
        return True

    def ratings_batch(self) -> dict[str, Any]:
        streams = boto3.client("dynamodbstreams")
        arn = self.stack.get_att("RatingsTable", "StreamArn")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
        )
        return {"arn": arn, "shard": shard, "iterator": iterator["ShardIterator"]}

    def read_batch(self, position: dict[str, Any]) -> dict[str, Any]:
        records = boto3.client("dynamodbstreams").get_records(
            ShardIterator=position["iterator"], Limit=1000
        )
        return stream_event_from_table([dict(r) for r in records["Records"]], position["arn"])

    def run_stream_batch(self, event: dict[str, Any]) -> None:
        _, batch = standing_batch(
            event["Records"],
            self.world.ratings_table,
            self.world.deliveries_table,
            self.world.projector.ratings_changed,
            self.world.projector.deliveries_changed,
        )
        for record in event["Records"]:
            batch.handle_record(StreamRecord.model_validate(record))


def api_path(runs: int) -> None:
    print(f"\n== API path: DynamoDB requests per rating ({runs} ratings)")
    with mock_aws():
        bench = Bench()
        calls = [bench.deliver(n, f"d-{n % 10}") for n in range(runs)]
        bench.meter.reset()
        for delivery_id, customer in calls:
            assert bench.rate(delivery_id, customer)
        accepted = bench.meter.total / runs
        print(
            f"   accepted rating      {accepted:.2f} requests   "
            f"{dict(bench.meter.requests)}   {bench.meter.capacity()}"
        )
        print(f"   target <= 2 (floor 1)   {'ok' if accepted <= 2 else 'OVER TARGET'}")
        bench.meter.reset()
        for delivery_id, customer in calls:
            assert not bench.rate(delivery_id, customer)
        again = bench.meter.total / runs
        writes = sum(bench.meter.requests[o] for o in ("PutItem", "UpdateItem", "BatchWriteItem"))
        print(
            f"   resubmitted duplicate {again:.2f} requests, {writes} writes   "
            f"{dict(bench.meter.requests)}   {bench.meter.capacity()}"
        )
        print(f"   target <= 2, no write   {'ok' if again <= 2 and writes == 0 else 'OVER TARGET'}")


def stream_path() -> None:
    print("\n== stream path: DynamoDB requests per batch of 100 ratings over k drivers")
    print("   (a driver's first batch also sets the tier: one more write; shown separately)")
    for k in (1, 5, 20, 50):
        with mock_aws():
            bench = Bench()
            position = bench.ratings_batch()
            for n in range(100):
                bench.rate(*bench.deliver(n, f"d-{n % k}"))
            event = bench.read_batch(position)
            bench.meter.reset()
            bench.run_stream_batch(event)
            first = bench.meter.total
            bench.meter.reset()
            bench.run_stream_batch(event)
            steady = bench.meter.total
            verdict = "ok" if steady <= 2 * k else "OVER TARGET"
            print(
                f"   k={k:<3} first batch {first:4} requests   redelivered {steady:4} "
                f"= {steady / k:.1f} per driver   target <= 2k = {2 * k:<4} {verdict}   "
                f"{bench.meter.capacity()}"
            )


def daily_sweep() -> None:
    print("\n== daily sweep: requests at 1x and 10x the table size, same affected drivers")
    counts = []
    for scale in (1, 10):
        with mock_aws():
            bench = Bench()
            world = bench.world
            old_now = world.now
            world.now = old_now - timedelta(days=181)
            for n in range(5):  # the affected drivers: their ratings age out today
                bench.rate(*bench.deliver(10_000 + n, f"ageing-{n}"))
            world.now = old_now - timedelta(days=60)
            for n in range(100 * scale):  # everyone else, rated two months ago
                bench.rate(*bench.deliver(n, f"steady-{n % (10 * scale)}"))
            world.now = old_now
            sweep = DailySweep(
                world.sources, world.standings, world.projector, partial(getattr, world, "now")
            )
            bench.meter.reset()
            drivers, _ = sweep.run()
            counts.append(bench.meter.total)
            print(
                f"   {scale:>2}x: {100 * scale + 5:5} ratings, {10 * scale + 5:4} drivers   "
                f"affected {len(drivers)}   {bench.meter.total} requests   "
                f"{dict(bench.meter.requests)}"
            )
    ratio = counts[1] / counts[0]
    print(
        f"   ratio 10x / 1x = {ratio:.2f}   target <= 1.2   "
        f"{'ok' if ratio <= 1.2 else 'OVER TARGET'}"
    )


def warm_rating_latency(runs: int) -> None:
    print(f"\n== warm in-process POST rating latency, RatingsApiFunction handler ({runs} calls)")
    import json
    import os

    from tests.factories import http_api_event

    with mock_aws():
        bench = Bench()
        os.environ.update(
            RATINGS_TABLE_NAME=bench.stack.table_name("RatingsTable"),
            DELIVERIES_TABLE_NAME=bench.stack.table_name("DeliveriesTable"),
        )
        from functions.ratings_api import app as ratings_api

        composition.dynamodb.cache_clear()
        composition.rating_service.cache_clear()
        calls = [bench.deliver(n, f"d-{n % 10}") for n in range(runs + 20)]
        samples = []
        for delivery_id, customer in calls:
            event = http_api_event(
                "POST",
                f"/deliveries/{delivery_id}/rating",
                route_key="POST /deliveries/{deliveryId}/rating",
                claims={"sub": customer.sub, "cognito:groups": "[customer]"},
                body=json.dumps({"stars": 5}),
                path_parameters={"deliveryId": delivery_id},
            )
            with contextlib.redirect_stdout(io.StringIO()):  # its metrics, in EMF on stdout
                started = time.perf_counter()
                response = ratings_api.lambda_handler(event, lambda_context())
                samples.append(time.perf_counter() - started)
            assert response["statusCode"] == 201, response
        samples = samples[20:]  # the first calls warm the handler
        ordered = sorted(samples)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        print(
            f"   p50 {statistics.median(samples) * 1000:.2f} ms   p99 {p99 * 1000:.2f} ms   "
            "(moto in-process: includes its own work)"
        )
        composition.dynamodb.cache_clear()
        composition.rating_service.cache_clear()

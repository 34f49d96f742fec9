"""Push latency on the local runtime: a rating's POST to rating.created on the driver's socket.

Each sample is a fresh delivery of one driver, whose socket stays open: the
customer's POST goes out, and the clock stops when the message naming that
delivery arrives. The invocation log then says where the time went: the POST
itself, the wait for the stream (the poller's interval and GetRecords), the
notifier's run, and the push from the notifier's start to the socket.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from infra.local_runtime.client import RuntimeProcess
from tests.factories import delivery_report

TARGET_SECONDS = 0.300  # the p50 target, locally
NOTIFIER = "NotifierFunction"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Sample:
    total: float  # POST sent -> message received, seconds
    post: float  # the POST's round trip
    stream_wait: float  # the 201 -> the notifier handed the stream record
    notifier: float  # the notifier's whole invocation
    push: float  # the notifier handed the record -> the message received


class Api:
    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)

    def post(self, path: str, token: str, body: Any) -> int:
        headers = {**JSON, "authorization": f"Bearer {token}"}
        self.connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _figures(values: list[float]) -> str:
    p50, p90 = statistics.median(values), _percentile(values, 0.9)
    return f"p50 {p50 * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"


def _sample(
    runtime: RuntimeProcess, api: Api, socket: Any, driver: str, tokens: dict[str, str], n: int
) -> Sample:
    delivery = f"bench-push-{n}-{uuid.uuid4().hex[:6]}"
    report = delivery_report(
        delivery,
        driver_id=driver,
        customer_id="c-bench",
        promised_start=datetime.now(UTC) - timedelta(hours=2),
    )
    assert api.post("/deliveries", tokens["system"], report) == 201
    runtime.client.drain()
    since = len(runtime.client.invocations())
    started = time.time()
    status = api.post(f"/deliveries/{delivery}/rating", tokens["customer"], {"stars": 5})
    posted = time.time()
    if status != 201:
        raise SystemExit(f"the rating POST answered {status}")
    while True:
        remaining = started + 10 - time.time()
        if remaining <= 0:
            raise SystemExit("no rating.created message within 10 s")
        message = json.loads(socket.recv(timeout=remaining))
        if message.get("type") == "rating.created" and message["data"]["deliveryId"] == delivery:
            received = time.time()
            break
    runtime.client.drain()
    notified = next(e for e in runtime.client.invocations(since) if e["function"] == NOTIFIER)
    return Sample(
        total=received - started,
        post=posted - started,
        stream_wait=max(0.0, notified["started"] - posted),
        notifier=notified["duration_ms"] / 1000,
        push=received - notified["started"],
    )


def push_latency(runtime: RuntimeProcess, samples: int) -> None:
    print(
        f"\n== push latency: POST of a rating -> rating.created on the driver's socket "
        f"({samples} ratings)"
    )
    print(f"   target p50 <= {TARGET_SECONDS * 1000:.0f} ms locally")
    driver = f"d-bench-{uuid.uuid4().hex[:6]}"
    tokens = {
        "system": runtime.client.token("system", "station-1"),
        "customer": runtime.client.token("customer", "c-bench"),
    }
    api = Api(runtime.api_url)
    with runtime.client.websocket(runtime.client.token("driver", driver)) as socket:
        _sample(runtime, api, socket, driver, tokens, -1)  # warm every function on the path
        measured = [_sample(runtime, api, socket, driver, tokens, n) for n in range(samples)]
    totals = [s.total for s in measured]
    ratio = statistics.median(totals) / TARGET_SECONDS
    verdict = "ok" if statistics.median(totals) <= TARGET_SECONDS else "OVER TARGET"
    print(f"   {'POST -> message':32} {_figures(totals)}")
    print(f"   {'  the POST (201)':32} {_figures([s.post for s in measured])}")
    print(f"   {'  201 -> notifier invoked':32} {_figures([s.stream_wait for s in measured])}")
    print(f"   {'  notifier invoked -> message':32} {_figures([s.push for s in measured])}")
    print(f"   {'  (the notifier run, whole)':32} {_figures([s.notifier for s in measured])}")
    print(f"   p50 is {ratio:.2f}x the {TARGET_SECONDS * 1000:.0f} ms target  {verdict}")
    print("   the stream wait: a write wakes its table's pollers, then one GetRecords on moto")

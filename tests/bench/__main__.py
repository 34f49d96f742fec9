"""`make bench`: cold start, gateway overhead and stream trigger latency, as figures and ratios.

Figures, not timed tests: the machines are shared and noisy, so each figure is
the median and p99 of repeated runs, next to a baseline measured the same way.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from infra.local_runtime.client import RuntimeProcess
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import Template
from tests.bench import dynamodb_costs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

BASELINE_SNIPPET = "import boto3\nboto3.client('dynamodb')\n"
# A handler's clients are built by its cached factories (functools.cache), called here once.
HANDLER_SNIPPET = """
import functools, importlib
module = importlib.import_module("app")
for value in list(vars(module).values()):
    factory = callable(value) and hasattr(value, "cache_clear")
    if factory and getattr(value, "__module__", "") == "app":
        value()
"""
CHILD = """
import sys, time
started = time.perf_counter()
exec(compile(sys.argv[1], "<bench>", "exec"))
print(time.perf_counter() - started)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float], unit: float = 1000.0) -> str:
    p50, p99 = statistics.median(values) * unit, percentile(values, 0.99) * unit
    return f"p50 {p50:8.2f} ms   p99 {p99:8.2f} ms"


def fresh_process_seconds(snippet: str, path: list[Path], env: dict[str, str]) -> float:
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", CHILD, snippet],
        env={**env, "PYTHONPATH": os.pathsep.join(str(p) for p in path)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"a cold-start run failed:\n{result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def cold_starts(runs: int) -> None:
    print(f"\n== cold start: a fresh process imports a handler, makes its clients ({runs} runs)")
    print("   ratio = handler p50 / (import boto3 + boto3.client('dynamodb')) p50; target <= 1.4x")
    template = Template(TEMPLATE)
    stack = Stack(template)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_SAM_LOCAL": "true",
        "POWERTOOLS_SERVICE_NAME": "flexfleet",
    }
    shared = ROOT / "shared"
    samples: dict[str, list[float]] = {"baseline": []}
    functions = {fn.logical_id: fn for fn in template.functions}
    for name, fn in functions.items():
        samples[name] = []
        variables = (fn.properties.get("Environment") or {}).get("Variables") or {}
        env.update({k: str(v) for k, v in stack.resolve(variables).items()})
    for _ in range(runs):  # interleaved, so that noise hits every series alike
        samples["baseline"].append(fresh_process_seconds(BASELINE_SNIPPET, [], env))
        for name, fn in functions.items():
            code = ROOT / fn.code_uri
            samples[name].append(fresh_process_seconds(HANDLER_SNIPPET, [code, shared], env))
    base = statistics.median(samples["baseline"])
    print(f"   {'baseline':28} {summary(samples['baseline'])}")
    for name in functions:
        ratio = statistics.median(samples[name]) / base
        verdict = "ok" if ratio <= 1.4 else "OVER TARGET"
        print(f"   {name:28} {summary(samples[name])}   ratio {ratio:5.2f}x  {verdict}")


class KeepAlive:
    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(
            url.hostname or "127.0.0.1", url.port, timeout=30
        )

    def get(self, path: str) -> int:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        response.read()
        return response.status


def timed(action: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def gateway_overhead(runtime: RuntimeProcess, runs: int) -> None:
    print(f"\n== local gateway overhead per request: GET /health ({runs} requests, keep-alive)")
    print(
        "   overhead = HTTP round trip p50 - direct in-process handler call p50; target p50 <= 2 ms"
    )
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "flexfleet")
    from functions.health import app as health
    from tests.factories import http_api_event, lambda_context

    event, context = http_api_event("GET", "/health"), lambda_context()
    client = KeepAlive(runtime.api_url)
    timed(lambda: client.get("/health"), 20)  # warm both paths first
    timed(lambda: health.lambda_handler(event, context), 20)
    over_http = timed(lambda: client.get("/health"), runs)
    direct = timed(lambda: health.lambda_handler(event, context), runs)
    overhead = statistics.median(over_http) - statistics.median(direct)
    print(f"   {'through the runtime':28} {summary(over_http)}")
    print(f"   {'direct handler call':28} {summary(direct)}")
    verdict = "ok" if overhead <= 0.002 else "OVER TARGET"
    ratio = statistics.median(over_http) / statistics.median(direct)
    print(
        f"   overhead p50 {overhead * 1000:.2f} ms   ratio {ratio:.1f}x the direct call  {verdict}"
    )


def stream_latency(runtime: RuntimeProcess, runs: int) -> None:
    print(
        f"\n== stream trigger latency: table write -> event handed to the handler ({runs} writes)"
    )
    print("   from before PutItem to the event written to the sandbox's pipe; target p50 <= 200 ms")
    outputs = runtime.client.status()["outputs"]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    runtime.client.drain()
    latencies, writes = [], []
    for n in range(runs):
        since = len(runtime.client.invocations())
        item = {
            "ratingId": {"S": f"bench-{n}"},
            "driverId": {"S": "bench-driver"},
            "ratedAt": {"S": f"2026-11-21T00:{n:02}"},
            "stars": {"N": "5"},
        }
        written = time.time()
        started = time.perf_counter()
        dynamodb.put_item(TableName=outputs["RatingsTableName"], Item=item)
        writes.append(time.perf_counter() - started)
        deadline = time.monotonic() + 10
        entry = None
        while entry is None and time.monotonic() < deadline:
            entry = next(
                (
                    e
                    for e in runtime.client.invocations(since)
                    if e["function"] == "StandingStreamFunction"
                ),
                None,
            )
            time.sleep(0.005)
        if entry is None:
            raise SystemExit("the stream function was not invoked within 10 s")
        latencies.append(max(0.0, entry["started"] - written))
        runtime.client.drain()
    ratio = statistics.median(latencies) / statistics.median(writes)
    verdict = "ok" if statistics.median(latencies) <= 0.2 else "OVER TARGET"
    print(f"   {'write -> handler start':28} {summary(latencies)}")
    print(f"   {'the PutItem call itself':28} {summary(writes)}")
    print(f"   latency is {ratio:.1f}x one PutItem round trip  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument(
        "--runs", type=int, default=15, help="fresh processes per cold-start figure"
    )
    parser.add_argument("--requests", type=int, default=500, help="requests for the gateway figure")
    parser.add_argument("--writes", type=int, default=40, help="writes for the stream figure")
    parser.add_argument(
        "--only", choices=["cold", "gateway", "stream", "costs"], help="one group of figures only"
    )
    args = parser.parse_args()
    # moto stands in for AWS: fake credentials, and nothing read from the developer's own files.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        POWERTOOLS_SERVICE_NAME="flexfleet",
        POWERTOOLS_METRICS_NAMESPACE="FlexFleet",
    )
    print(f"FlexFleet bench on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.only in (None, "cold"):
        cold_starts(args.runs)
    if args.only in (None, "costs"):
        dynamodb_costs.api_path(200)
        dynamodb_costs.stream_path()
        dynamodb_costs.daily_sweep()
        dynamodb_costs.warm_rating_latency(300)
    if args.only in ("cold", "costs"):
        return
    with (
        tempfile.TemporaryDirectory() as state,
        open(os.devnull, "w") as quiet,
        RuntimeProcess(TEMPLATE, Path(state), log=quiet) as runtime,
    ):
        if args.only in (None, "gateway"):
            gateway_overhead(runtime, args.requests)
        if args.only in (None, "stream"):
            stream_latency(runtime, args.writes)


if __name__ == "__main__":
    main()

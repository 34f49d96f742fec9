"""`make bench`: cold start, gateway overhead, stream and push latency, DynamoDB costs, as figures.

Figures, not timed tests: the machines are shared and noisy, so each figure is
the median and p99 of repeated runs, next to a baseline measured the same way.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
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
from tests.bench import dynamodb_costs, push_latency, retail_costs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

BASELINE_SNIPPET = "import boto3\nboto3.client('dynamodb')\n"
# A handler's services and clients are built on its first request, or before SnapStart's
# snapshot, by its priming: done here, after the import, so that both are counted.
HANDLER_SNIPPET = """
import importlib
module = importlib.import_module("app")
from flexfleet.api.handler import prime
from flexfleet.api.resolver import HttpApiResolver
if isinstance(getattr(module, "app", None), HttpApiResolver):
    prime(module.app)
else:  # the stream and schedule functions: their first batch builds their service
    from flexfleet import composition
    composition.PROVIDER()
"""
# The service each stream or schedule function builds on its first batch. DispatchFunction's
# imports the dispatch engine, and with it numpy and scipy from the solver layer.
FIRST_BATCH = {"DispatchFunction": "dispatch_service"}
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


def _function_env(template: Template, stack: Stack) -> dict[str, str]:
    """The functions' environment, as the template gives it, with fake credentials."""
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
    for fn in template.functions:
        variables = (fn.properties.get("Environment") or {}).get("Variables") or {}
        env.update({k: str(v) for k, v in stack.resolve(variables).items()})
    return env


def cold_starts(runs: int) -> None:
    print(f"\n== cold start: a fresh process imports a handler, makes its clients ({runs} runs)")
    print("   ratio = handler p50 / (import boto3 + boto3.client('dynamodb')) p50; target <= 1.4x")
    template = Template(TEMPLATE)
    stack = Stack(template)
    env = _function_env(template, stack)
    shared = ROOT / "shared"
    samples: dict[str, list[float]] = {"baseline": []}
    functions = {fn.logical_id: fn for fn in template.functions}
    for name in functions:
        samples[name] = []
    for _ in range(runs):  # interleaved, so that noise hits every series alike
        samples["baseline"].append(fresh_process_seconds(BASELINE_SNIPPET, [], env))
        for name, fn in functions.items():
            code = ROOT / fn.code_uri
            snippet = HANDLER_SNIPPET.replace(
                "PROVIDER", FIRST_BATCH.get(name, "standing_projector")
            )
            samples[name].append(fresh_process_seconds(snippet, [code, shared], env))
    base = statistics.median(samples["baseline"])
    print(f"   {'baseline':28} {summary(samples['baseline'])}")
    for name in functions:
        ratio = statistics.median(samples[name]) / base
        verdict = "ok" if ratio <= 1.4 else "OVER TARGET"
        print(f"   {name:28} {summary(samples[name])}   ratio {ratio:5.2f}x  {verdict}")
    print("   DispatchFunction's figure includes its solver layer: numpy and scipy's sparse graph")
    print("   matching, which the engine imports; no other function loads them")


FIRST_REQUEST_SNIPPET = """
import importlib, json, sys, time
sys.path.insert(0, "tests-root")
from tests.factories import http_api_event, lambda_context
module = importlib.import_module("app")
started = time.perf_counter()
if PRIME:
    from flexfleet.api.handler import prime
    prime(module.app)
primed = time.perf_counter()
event = http_api_event("GET", PATH, route_key=ROUTE_KEY, path_parameters=PARAMETERS,
                       claims={"sub": "r-1", "cognito:groups": "[retailer]"})
answer = module.lambda_handler(event, lambda_context())
assert answer["statusCode"] == 403, answer
print(json.dumps([primed - started, time.perf_counter() - primed]))
"""


def first_requests(runs: int) -> None:
    """What SnapStart saves: the priming that goes into the snapshot, and the first request."""
    print(f"\n== SnapStart functions: init priming and the first request ({runs} runs)")
    print("   primed: the services, clients and validation models are built before the snapshot")
    template = Template(TEMPLATE)
    stack = Stack(template)
    env = {**_function_env(template, stack), "POWERTOOLS_METRICS_NAMESPACE": "FlexFleet"}
    for fn in template.functions:
        if "SnapStart" not in fn.properties:
            continue
        route = next(
            e.properties
            for e in template.event_sources("HttpApi")
            if e.function_id == fn.logical_id and e.properties["Method"] == "GET"
        )
        names = re.findall(r"{(\w+)}", route["Path"])
        path = re.sub(r"{\w+}", "x-1", route["Path"])
        series: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for _ in range(runs):
            for primed in (False, True):
                snippet = (
                    FIRST_REQUEST_SNIPPET.replace("tests-root", str(ROOT))
                    .replace("PRIME", str(primed))
                    .replace("ROUTE_KEY", repr(f"GET {route['Path']}"))
                    .replace("PATH", repr(path))
                    .replace("PARAMETERS", repr(dict.fromkeys(names, "x-1")))
                )
                result = subprocess.run(  # noqa: S603 - our own interpreter
                    [sys.executable, "-c", snippet],
                    env={**env, "PYTHONPATH": f"{ROOT / fn.code_uri}{os.pathsep}{ROOT / 'shared'}"},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode != 0:
                    raise SystemExit(f"a first-request run failed:\n{result.stderr}")
                series[primed].append(tuple(json.loads(result.stdout.splitlines()[-1])))
        cold = [first for _, first in series[False]]
        warm = [first for _, first in series[True]]
        priming = [prime for prime, _ in series[True]]
        print(
            f"   {fn.logical_id:28} priming p50 {statistics.median(priming) * 1000:7.1f} ms   "
            f"first request p50 {statistics.median(cold) * 1000:6.1f} ms unprimed, "
            f"{statistics.median(warm) * 1000:5.1f} ms primed"
        )


TRACER_SNIPPET = """
from aws_lambda_powertools import Tracer
Tracer(patch_modules=["botocore"])
import botocore.session
botocore.session.get_session().create_client("dynamodb")
"""
CLIENT_SNIPPET = """
import botocore.session
botocore.session.get_session().create_client("dynamodb")
"""


def tracer_cost(runs: int) -> None:
    """What Powertools' Tracer adds to a cold start, enabled as in Lambda (not as in SAM local)."""
    print(f"\n== Tracer: its cold-start cost, as enabled in Lambda ({runs} runs)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": "flexfleet",
    }
    traced: list[float] = []
    plain: list[float] = []
    for _ in range(runs):
        plain.append(fresh_process_seconds(CLIENT_SNIPPET, [ROOT / "shared"], env))
        traced.append(fresh_process_seconds(TRACER_SNIPPET, [ROOT / "shared"], env))
    added = (statistics.median(traced) - statistics.median(plain)) * 1000
    print(f"   {'a DynamoDB client':28} {summary(plain)}")
    print(f"   {'Tracer, botocore patched':28} {summary(traced)}   adds {added:.0f} ms")


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
    parser.add_argument("--pushes", type=int, default=30, help="ratings for the push figure")
    parser.add_argument(
        "--only",
        choices=["cold", "gateway", "stream", "push", "costs", "retail"],
        help="one group of figures only",
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
        first_requests(max(3, args.runs // 3))
        tracer_cost(args.runs)
    if args.only in (None, "costs"):
        dynamodb_costs.api_path(200)
        dynamodb_costs.stream_path()
        dynamodb_costs.daily_sweep()
        dynamodb_costs.warm_rating_latency(300)
    if args.only in (None, "retail"):
        retail_costs.per_operation(20)
        retail_costs.offers_cost()
        retail_costs.accept_latency(300)
    if args.only in ("cold", "costs", "retail"):
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
        if args.only in (None, "push"):
            push_latency.push_latency(runtime, args.pushes)


if __name__ == "__main__":
    main()

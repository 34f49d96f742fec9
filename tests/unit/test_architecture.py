"""Imports point down: handler → API routes → services → repositories → DynamoDB helpers.

Read from the source, so that a new module is held to the same rules: a lower layer never
imports a higher one, features never import each other except through the one module each
dependency is declared in, and nothing runs at import but definitions.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ROOT

SHARED = ROOT / "shared"
PACKAGE = SHARED / "flexfleet"
FEATURES = (
    "deliveries",
    "ratings",
    "standing",
    "malls",
    "blocks",
    "retail",
    "dispatch",
    "instant_offers",
    "realtime",
)
FOUNDATION = (
    "metrics",
    "snapstart",
    "errors",
    "clock",
    "ids",
    "settings",
    "identity",
    "api_model",
    "aws_clients",
    "dynamodb",
    "tiers",
    "money",
    "geo",
    "cloudformation",
)
# The only places one feature reads another: a rating is of a delivery, and standing reads its
# inputs through a module of its own.
FEATURE_DEPENDENCIES = {
    ("ratings", "deliveries"): {"ratings/repository.py", "ratings/service.py"},
    ("standing", "ratings"): {"standing/sources.py"},
    ("standing", "deliveries"): {"standing/sources.py"},
    # Blocks read a block's mall from the catalogue. (A driver's tier reaches them as a function
    # composition passes in, standing's own: blocks import nothing of standing.)
    ("blocks", "malls"): {"blocks/service.py", "blocks/jobs.py"},
    # Reliability is read from the bookings the blocks feature records.
    ("standing", "blocks"): {"standing/sources.py"},
    # An order is placed at its retailer's mall, ends in a delivery to rate, and frees the
    # driver's booking in the same transaction.
    ("retail", "malls"): {"retail/service.py"},
    ("retail", "deliveries"): {"retail/repository.py", "retail/service.py"},
    ("retail", "blocks"): {"retail/repository.py"},
    # Dispatch matches a mall's waiting orders with its bookings on duty, and states them in
    # the engine's terms with retail's speed and service times.
    ("dispatch", "retail"): {
        "dispatch/repository.py",
        "dispatch/service.py",
        "dispatch/mall_state.py",
    },
    ("dispatch", "blocks"): {
        "dispatch/repository.py",
        "dispatch/service.py",
        "dispatch/mall_state.py",
    },
    ("dispatch", "malls"): {"dispatch/service.py"},
    # Instant offers offer a mall's waiting orders: their estimates, their drop-off and packages,
    # and the accept that assigns the order. (Dispatch reaches them through a Protocol only.)
    ("instant_offers", "retail"): {
        "instant_offers/model.py",
        "instant_offers/pay.py",
        "instant_offers/repository.py",
        "instant_offers/service.py",
    },
    ("instant_offers", "malls"): {"instant_offers/service.py"},
    # A driver checked in on a block takes no instant work: read from the bookings it records.
    ("instant_offers", "blocks"): {"instant_offers/duty.py"},
    # Live updates push what the other features record: their stream images are read in one
    # module, and what each change means to whom (with each feature's own view of it) in another.
    ("realtime", "ratings"): {"realtime/sources.py", "realtime/notices.py"},
    ("realtime", "standing"): {"realtime/sources.py", "realtime/notices.py"},
    ("realtime", "blocks"): {"realtime/sources.py", "realtime/notices.py"},
    ("realtime", "retail"): {"realtime/sources.py", "realtime/notices.py"},
    ("realtime", "instant_offers"): {"realtime/sources.py", "realtime/notices.py"},
}


def imports_of(path: Path) -> set[str]:
    """The flexfleet modules a file imports, TYPE_CHECKING blocks included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("flexfleet.")}


def area(module: str) -> str:
    return module.split(".")[1]


MODULES = {
    str(path.relative_to(PACKAGE)): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))
}


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.split("/")[0].removesuffix(".py") in FOUNDATION)
)
def test_the_foundation_imports_no_feature_and_no_api(module: str) -> None:
    above = {name for name in MODULES[module] if area(name) in (*FEATURES, "api", "composition")}

    assert above == set()


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split("/")[0] in FEATURES))
def test_a_feature_imports_no_api_and_reaches_another_feature_only_where_declared(
    module: str,
) -> None:
    own = module.split("/")[0]
    others = {area(name) for name in MODULES[module]} & set(FEATURES) - {own}

    assert {name for name in MODULES[module] if area(name) in ("api", "composition")} == set()
    for other in others:
        assert module in FEATURE_DEPENDENCIES.get((own, other), set()), f"{module} imports {other}"


def test_the_declared_feature_dependencies_have_no_cycle() -> None:
    pairs = set(FEATURE_DEPENDENCIES)

    assert {(b, a) for a, b in pairs} & pairs == set()


SOLVER = ("numpy", "scipy")  # the solver layer's, which only DispatchFunction takes


def loaded_on_import(module: str) -> dict[str, object]:
    """Imports a handler in a fresh interpreter: the flexfleet and solver modules it loads, and
    every call flexfleet or the function made at import time to read the clock."""
    probe = f"""
import json, sys
SOLVER = {SOLVER!r}
clock_reads, environment_reads = [], []
readers = ("now", "utcnow", "time", "time_ns", "today")
environ = ("__getitem__", "getenv", "__iter__", "__contains__")
# Frozen in CPython 3.11+ ("<frozen os>"), plain files before.
os_module = ("/os.py", "<frozen os>")
abc_module = ("/_collections_abc.py", "<frozen _collections_abc>")
def ours(frame):
    path = frame.f_code.co_filename if frame else ""
    return "/shared/flexfleet/" in path or "/functions/" in path
def watch(frame, event, arg):
    if event == "c_call" and getattr(arg, "__name__", "") in readers and ours(frame):
        clock_reads.append(f"{{frame.f_code.co_filename}}:{{frame.f_lineno}}")
    code = frame.f_code
    if event == "call" and code.co_filename.endswith(os_module) and code.co_name in environ:
        caller = frame.f_back
        while caller and caller.f_code.co_filename.endswith(os_module + abc_module):
            caller = caller.f_back
        if ours(caller):
            environment_reads.append(f"{{caller.f_code.co_filename}}:{{caller.f_lineno}}")
sys.setprofile(watch)
import {module}
sys.setprofile(None)
print(json.dumps({{"modules": sorted(m for m in sys.modules if m.startswith("flexfleet")),
                   "solver": sorted(m for m in sys.modules if m.split(".")[0] in SOLVER),
                   "clock_reads": clock_reads, "environment_reads": environment_reads}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": f"{SHARED}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return loaded


HANDLERS = sorted(f"functions.{p.parent.name}.app" for p in ROOT.glob("functions/*/app.py"))


@pytest.mark.parametrize("handler", HANDLERS)
def test_nothing_of_ours_reads_the_clock_or_the_environment_at_import(handler: str) -> None:
    """Powertools' Logger, Metrics and Tracer read their settings when made, at import, as
    Powertools means them to be; our code reads nothing until it is called."""
    loaded = loaded_on_import(handler)

    assert loaded["clock_reads"] == []
    assert loaded["environment_reads"] == []


def test_the_read_only_standing_api_loads_no_ratings_or_deliveries_code() -> None:
    modules = loaded_on_import("functions.standing_api.app")["modules"]

    assert isinstance(modules, list)
    features = {m.split(".")[1] for m in modules if m.startswith("flexfleet.")}
    assert features & {"ratings", "deliveries"} == set()
    assert "flexfleet.standing.projector" not in modules


@pytest.mark.parametrize("handler", [h for h in HANDLERS if h != "functions.dispatch.app"])
def test_no_function_but_dispatch_loads_numpy_or_scipy_at_import(handler: str) -> None:
    """They are in the solver layer, which only DispatchFunction has: another function that
    loaded them would fail in Lambda, and pay for them at every cold start."""
    loaded = loaded_on_import(handler)

    modules = loaded["modules"]
    assert isinstance(modules, list)
    assert loaded["solver"] == []
    assert [m for m in modules if m.startswith("flexfleet.dispatch")] == []


def test_only_the_dispatch_provider_imports_the_engine_outside_dispatch() -> None:
    importers = {m for m, names in MODULES.items() if "flexfleet.dispatch.engine" in names}

    assert {m for m in importers if not m.startswith("dispatch/")} == {"composition.py"}

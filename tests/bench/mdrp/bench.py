"""`make bench-dispatch`: every instance under a directory replayed through the engine and through
the greedy baseline, each checked by the project's checker and by the official evaluator (in an
environment of its own, with pandas); the engine's figures per instance, then the means of both
beside the published reference and marks against issue 8's targets, a CSV of every figure and a
chart by instance class."""

from __future__ import annotations

import csv
import math
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TypeVar

from tests.bench.mdrp.checker import check_solution
from tests.bench.mdrp.instance import read_instance
from tests.bench.mdrp.policies import load_policy, policy_present
from tests.bench.mdrp.simulate import replay
from tests.bench.mdrp.solution import Figures, figures, write_solution
from tests.bench.mdrp.summary import (
    REFERENCE,
    REFERENCE_CLICK_TO_DOOR_BY_CLASS,
    Outcome,
    instance_classes,
    mean_figures,
    means_by_class,
    target_marks,
)

T = TypeVar("T")
R = TypeVar("R")

COLUMNS = (
    ("undelivered_pct", "undeliv%", ".2f"),
    ("click_to_door_mean", "c2d", ".2f"),
    ("click_to_door_p90", "c2d p90", ".1f"),
    ("overage_mean", "overage", ".2f"),
    ("ready_to_pickup_mean", "r2p", ".2f"),
    ("cost_per_order", "$/order", ".2f"),
    ("orders_per_bundle", "bundle", ".2f"),
    ("over_max", ">90", "d"),
    ("round_p50_ms", "p50 ms", ".2f"),
    ("round_p99_ms", "p99 ms", ".2f"),
    ("round_max_ms", "max ms", ".1f"),
)
TARGET_ROW = {
    "undelivered_pct": "≤0.25",
    "click_to_door_mean": "≤31.5",
    "cost_per_order": "≤11.00",
    "over_max": "0",
    "round_p99_ms": "≤1000",
}
EVALUATOR = "evaluator/compute_performance_summary.py"
# The committed chart (the README shows it) is written by a run over every instance; a run
# over a subset writes beside the replay's scratch files, so that it never replaces it.
CHART = Path("docs/dispatch-benchmark.png")
SUBSET_CHART = Path(".local/mdrp/dispatch-benchmark.png")
# One core per replay, as the target says: numpy and scipy's BLAS would otherwise start a
# thread per core in each process. Set before any worker imports them.
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def evaluate(mdrp_root: Path, instance: Path, solution: Path, out: Path) -> tuple[bool, str]:
    """The official evaluator's verdict (FEASIBLE or not) and its total payment line."""
    uv = os.environ.get("UV", ".tools/uv/bin/uv")
    command = [
        uv, "run", "--quiet", "--no-project", "--python", sys.executable,
        "--with", "pandas", "--with", "numpy",
        "python", str(mdrp_root / EVALUATOR),
        f"instance_dir={instance}", f"input_dir={solution}", f"output_dir={out}",
    ]  # fmt: skip
    subprocess.run(command, check=False, capture_output=True, text=True)
    verdict = (
        (out / "feasibility_check.txt").read_text()
        if (out / "feasibility_check.txt").exists()
        else ""
    )
    performance = out / "solution_performance.txt"
    payment = (
        re.search(r"total payment: ([\d.]+)", performance.read_text())
        if performance.exists()
        else None
    )
    return verdict.strip().endswith("FEASIBLE") and "INFEASIBLE" not in verdict, payment.group(
        1
    ) if payment else "?"


@dataclass(frozen=True)
class Task:
    """One instance, for a worker: every policy replayed on it in turn, then checked."""

    path: Path
    mdrp_root: Path
    policies: tuple[tuple[str, str], ...]  # (label, policy name)
    official: bool
    scratch: Path


def bench_instance(task: Task) -> list[Outcome]:
    """Each policy's replay of the instance, checked. The replay times each round itself
    (simulate.replay), so the figures hold whatever else the worker does."""
    instance = read_instance(task.path)
    outcomes = []
    for label, name in task.policies:
        result = replay(instance, load_policy(name))
        solution = task.scratch / task.path.name / label / "solution"
        write_solution(result, solution)
        problems = check_solution(instance, solution)
        feasible: bool | None = None
        payment = "?"
        if task.official:
            report = task.scratch / task.path.name / label / "eval"
            feasible, payment = evaluate(task.mdrp_root, task.path, solution, report)
        outcomes.append(
            Outcome(task.path.name, label, figures(result), feasible, len(problems), payment)
        )
    return outcomes


def _each(work: Callable[[T], R], tasks: Sequence[T], jobs: int) -> Iterator[R]:
    """`work` on each task, results in order, `jobs` tasks at a time, each in its own process
    (in this one when `jobs` is 1)."""
    if jobs <= 1:
        yield from map(work, tasks)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield from pool.map(work, tasks)


def _instances(directory: Path, name_filter: str) -> list[Path]:
    """The instances under `directory` whose name holds `name_filter`, in name order (saying so
    when there is none), with BLAS held to one thread for the replays to come."""
    instances = sorted(
        p for p in directory.iterdir() if (p / "orders.txt").exists() and name_filter in p.name
    )
    if not instances:
        print(f"no instance under {directory} matches {name_filter!r}")
    for name in ONE_THREAD:
        os.environ.setdefault(name, "1")
    return instances


def run(
    directory: Path,
    engine: str,
    name_filter: str,
    official: bool,
    jobs: int,
    chart: Path | None,
) -> int:
    instances = _instances(directory, name_filter)
    if not instances:
        return 1
    used = engine if policy_present(engine) else "greedy"
    if used != engine:
        print(f"The {engine} policy is not there yet: greedy stands in for it.")
    jobs = max(1, min(jobs, len(instances)))
    print(_timing_note(jobs), flush=True)
    print(_header(), flush=True)
    outcomes: list[Outcome] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="flexfleet-mdrp-") as scratch:
        tasks = [
            Task(path, directory.parent, (("engine", used), ("greedy", "greedy")), official,
                 Path(scratch))
            for path in instances
        ]  # fmt: skip
        for number, pair in enumerate(_each(bench_instance, tasks, jobs), 1):
            outcomes += pair
            minutes, seconds = divmod(int(time.monotonic() - began), 60)
            print(f"{_row(pair)}  [{number}/{len(instances)} {minutes}:{seconds:02}]", flush=True)
    engine_label = "engine" if used == "engine" else f"engine ({used} stands in)"
    _print_summary(outcomes, engine_label)
    out = chart or (CHART if not name_filter else SUBSET_CHART)
    write_csv(outcomes, out.with_suffix(".csv"), used)
    _draw(outcomes, out, engine_label, name_filter)
    print(f"\nwrote {out} and {out.with_suffix('.csv')}")
    return 1 if any(o.sound is False for o in outcomes) else 0


STUDIED = ("undelivered_pct", "click_to_door_mean", "ready_to_pickup_mean")


def _foreseen(task: tuple[Path, int]) -> Figures:
    path, minutes = task
    return figures(replay(read_instance(path), load_policy("engine"), foresight=minutes))


def foresight_study(directory: Path, minutes: int, name_filter: str, jobs: int) -> int:
    """The engine's means over the instances when it sees each order `minutes` before its
    placement, beside its means when it sees none early: what knowing the near future is
    worth. The project's own figures only; such solutions break the MDRP's rules."""
    instances = _instances(directory, name_filter)
    if not instances:
        return 1
    shown = list(_each(_foreseen, [(p, a) for a in (0, minutes) for p in instances], jobs))
    means = {
        0: mean_figures(shown[: len(instances)]),
        minutes: mean_figures(shown[len(instances) :]),
    }
    print(f"The engine's means over {len(instances)} instance(s):")
    for ahead, row in means.items():
        cells = "  ".join(f"{key} {row[key]:.3f}" for key in STUDIED)
        print(f"  orders seen {ahead:>2} minutes early: {cells}")
    return 0


def _timing_note(jobs: int) -> str:
    where = (
        f"{jobs} instances at a time, each in its own process on {os.cpu_count()} cores"
        if jobs > 1
        else "one instance at a time"
    )
    return (
        f"Decision time: wall clock around each policy call, measured inside each replay; "
        f"{where}, BLAS held to one thread per process."
    )


def _header() -> str:
    return (
        f"{'instance (engine)':18}"
        + "".join(f"{label:>9}" for _, label, _ in COLUMNS)
        + f"  {'engine':>11}  {'greedy':>11}"
    )


def _verdict(outcome: Outcome) -> str:
    """The evaluator's word and the checker's problem count: `FEASIBLE/0`."""
    verdict = {True: "FEASIBLE", False: "INFEASIBLE", None: "unchecked"}[outcome.feasible]
    return f"{verdict}/{outcome.problems}"


def _row(pair: Sequence[Outcome]) -> str:
    engine, greedy = pair
    values = asdict(engine.figures)
    cells = "".join(f"{format(values[key], spec):>9}" for key, _, spec in COLUMNS)
    return f"{engine.instance:18}{cells}  {_verdict(engine):>11}  {_verdict(greedy):>11}"


def _print_summary(outcomes: Sequence[Outcome], engine_label: str) -> None:
    engine = [o for o in outcomes if o.policy == "engine"]
    greedy = [o for o in outcomes if o.policy == "greedy"]
    print()
    print(f"{'mean of ' + str(len(engine)):18}" + "".join(f"{label:>9}" for _, label, _ in COLUMNS))
    for label, rows in (("engine", engine), ("greedy", greedy)):
        mean = mean_figures([o.figures for o in rows])
        print(f"{label:18}" + "".join(f"{format(mean[key], '.2f'):>9}" for key, _, _ in COLUMNS))
    print(
        f"{'Reyes et al. 2018':18}"
        + "".join(
            f"{format(REFERENCE[key], '.2f') if key in REFERENCE else '':>9}"
            for key, _, _ in COLUMNS
        )
    )
    print(f"{'issue 8 target':18}" + "".join(f"{TARGET_ROW.get(k, ''):>9}" for k, _, _ in COLUMNS))
    print(f"\n{'target':50}{engine_label:>28}{'greedy':>22}")
    for mine, theirs in zip(target_marks(engine), target_marks(greedy), strict=True):
        print(f"{mine.label:50}{_mark(mine.passed):>8} {mine.value:>19}"
              f"{_mark(theirs.passed):>8} {theirs.value:>13}")  # fmt: skip
    print(
        "(means over instances, as the reference's are over its 240; '>90' and the target on it "
        "count orders over all instances; 'p99 ms' is the worst instance's)"
    )


def _mark(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: "n/a"}[passed]


def write_csv(outcomes: Sequence[Outcome], out: Path, engine: str) -> None:
    """Every figure of every replay, one row per instance and policy, so the chart and the
    means can be recomputed without replaying."""
    out.parent.mkdir(parents=True, exist_ok=True)
    names = [f.name for f in fields(Figures)]
    with out.open("w", newline="") as sheet:
        writer = csv.writer(sheet)
        writer.writerow(["instance", "orders_class", "speed", "schedule", "preparation",
                         "policy", "policy_module", *names, "evaluator", "checker_problems",
                         "evaluator_total_payment"])  # fmt: skip
        for o in sorted(outcomes, key=lambda o: (o.instance, o.policy)):
            classes = instance_classes(o.instance) or ("", "", "", "")
            module = engine if o.policy == "engine" else "greedy"
            values = [_cell(v) for v in asdict(o.figures).values()]
            verdict = {True: "FEASIBLE", False: "INFEASIBLE", None: "not run"}[o.feasible]
            writer.writerow([o.instance, *classes, o.policy, module, *values, verdict,
                             o.problems, o.payment])  # fmt: skip


def _cell(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return "" if math.isnan(value) else f"{value:.4f}"


def _draw(outcomes: Sequence[Outcome], out: Path, engine_label: str, name_filter: str) -> None:
    from tests.bench.mdrp.chart import draw_chart

    series = {
        engine_label: means_by_class([o for o in outcomes if o.policy == "engine"]),
        "greedy baseline": means_by_class([o for o in outcomes if o.policy == "greedy"]),
    }
    count = len({o.instance for o in outcomes})
    subset = f" matching {name_filter!r}" if name_filter else ""
    draw_chart(
        out,
        series,
        "Reyes et al. 2018",
        REFERENCE_CLICK_TO_DOOR_BY_CLASS,
        REFERENCE["cost_per_order"],
        (31.5, 11.0),
        f"{count} instances{subset}",
    )

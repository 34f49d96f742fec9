"""`make bench-dispatch`: every instance under a directory replayed through a policy, checked by
the project's checker and by the official evaluator (in an environment of its own, with pandas),
and the figures per instance and on average, beside the published reference."""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from tests.bench.mdrp.checker import check_solution
from tests.bench.mdrp.instance import read_instance
from tests.bench.mdrp.simulate import Policy, replay
from tests.bench.mdrp.solution import Figures, figures, write_solution

# Reyes et al. 2018, default policy, mean over all 240 instances.
REFERENCE = {
    "undelivered_pct": 0.25,
    "click_to_door_mean": 32.74,
    "click_to_door_p90": 49.3,
    "overage_mean": 2.77,
    "ready_to_pickup_mean": 1.93,
    "cost_per_order": 11.42,
    "orders_per_bundle": 1.09,
}
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
EVALUATOR = "evaluator/compute_performance_summary.py"


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


def run(directory: Path, policy: Policy, name_filter: str, official: bool) -> int:
    instances = sorted(
        p for p in directory.iterdir() if (p / "orders.txt").exists() and name_filter in p.name
    )
    mdrp_root = directory.parent
    rows: list[tuple[str, Figures, bool | None, int]] = []
    header = (
        f"{'instance':18}"
        + "".join(f"{label:>9}" for _, label, _ in COLUMNS)
        + "  evaluator  checker"
    )
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="flexfleet-mdrp-") as scratch:
        for number, path in enumerate(instances, 1):
            instance = read_instance(path)
            result = replay(instance, policy)
            solution = Path(scratch) / path.name / "solution"
            write_solution(result, solution)
            problems = check_solution(instance, solution)
            feasible = (
                evaluate(mdrp_root, path, solution, Path(scratch) / path.name / "eval")[0]
                if official
                else None
            )
            shown = figures(result)
            rows.append((path.name, shown, feasible, len(problems)))
            values = asdict(shown)
            cells = "".join(f"{format(values[key], spec):>9}" for key, _, spec in COLUMNS)
            verdict = {True: "FEASIBLE", False: "INFEASIBLE", None: "skipped"}[feasible]
            print(
                f"{path.name:18}{cells}  {verdict:>9}  {len(problems):>7}",
                f"  [{number}/{len(instances)}]",
                flush=True,
            )
    if not rows:
        print(f"no instance under {directory} matches {name_filter!r}")
        return 1
    print()
    mean = {
        key: statistics.fmean(
            asdict(f)[key] for _, f, _, _ in rows if not math.isnan(asdict(f)[key])
        )
        for key, _, _ in COLUMNS
    }
    print(f"{'mean':18}" + "".join(f"{format(mean[key], '.2f'):>9}" for key, _, _ in COLUMNS))
    print(
        f"{'reference':18}"
        + "".join(
            f"{format(REFERENCE[key], '.2f') if key in REFERENCE else '':>9}"
            for key, _, _ in COLUMNS
        )
    )
    p99 = max(f.round_p99_ms for _, f, _, _ in rows)
    infeasible = sum(1 for _, _, feasible, _ in rows if feasible is False)
    broken = sum(1 for *_, problems in rows if problems)
    print(
        f"\n{len(rows)} instances; evaluator INFEASIBLE: {infeasible}; "
        f"checker problems in: {broken}; worst round p99: {p99:.2f} ms"
    )
    return 1 if infeasible or broken else 0

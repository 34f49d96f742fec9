"""`python -m tests.bench.mdrp replay INSTANCE OUT`: replay one MDRP instance through a policy and
write the evaluator's three solution files into OUT, with the figures; `bench DIR`: every
instance, through the engine and the greedy baseline, with the evaluator, a CSV and a chart;
`study DIR --foresight N`: the engine's mean figures when it sees each order N minutes early."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from tests.bench.mdrp.bench import foresight_study, run
from tests.bench.mdrp.instance import read_instance
from tests.bench.mdrp.policies import POLICIES, load_policy
from tests.bench.mdrp.simulate import replay
from tests.bench.mdrp.solution import figures, write_solution


def _minutes(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more: 0 is the plain replay")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.mdrp")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("replay", help="replay one instance into OUT")
    one.add_argument("instance", type=Path)
    one.add_argument("out", type=Path)
    one.add_argument("--policy", choices=sorted(POLICIES), default="greedy")
    one.add_argument("--cadence", type=int, default=1, help="minutes between rounds")
    every = commands.add_parser("bench", help="every instance under DIR, with the evaluator")
    every.add_argument("directory", type=Path)
    every.add_argument(
        "--engine", choices=sorted(POLICIES), default="engine", help="the policy set beside greedy"
    )
    every.add_argument("--filter", default="", help="only instances whose name holds this")
    every.add_argument("--no-evaluator", action="store_true", help="the project's checker only")
    every.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="instances replayed at once, each in its own process (default: 2, or 1 on 1 core)",
    )
    every.add_argument(
        "--chart",
        type=Path,
        help="where the PNG goes, the CSV beside it (default: docs/dispatch-benchmark.png for "
        "every instance, .local/mdrp/ for a --filter subset)",
    )
    study = commands.add_parser(
        "study", help="the engine's means over DIR when it sees each order early (no evaluator)"
    )
    study.add_argument("directory", type=Path)
    study.add_argument(
        "--foresight", type=_minutes, required=True, help="minutes before placement (1 or more)"
    )
    study.add_argument("--filter", default="", help="only instances whose name holds this")
    study.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if args.command == "study":
        return foresight_study(args.directory, args.foresight, args.filter, args.jobs)
    if args.command == "bench":
        return run(
            args.directory, args.engine, args.filter, not args.no_evaluator, args.jobs, args.chart
        )
    result = replay(read_instance(args.instance), load_policy(args.policy), args.cadence)
    write_solution(result, args.out)
    for name, value in asdict(figures(result)).items():
        print(f"{name:24} {value:.2f}" if isinstance(value, float) else f"{name:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

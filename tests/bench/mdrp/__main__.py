"""`python -m tests.bench.mdrp replay INSTANCE OUT`: replay one MDRP instance and write the
evaluator's three solution files into OUT, with the figures; `bench DIR`: every instance."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from tests.bench.mdrp.bench import run
from tests.bench.mdrp.greedy import greedy
from tests.bench.mdrp.instance import read_instance
from tests.bench.mdrp.simulate import replay
from tests.bench.mdrp.solution import figures, write_solution

POLICIES = {"greedy": greedy}


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
    every.add_argument("--policy", choices=sorted(POLICIES), default="greedy")
    every.add_argument("--filter", default="", help="only instances whose name holds this")
    every.add_argument("--no-evaluator", action="store_true", help="the project's checker only")
    args = parser.parse_args(argv)
    if args.command == "bench":
        return run(args.directory, POLICIES[args.policy], args.filter, not args.no_evaluator)
    result = replay(read_instance(args.instance), POLICIES[args.policy], args.cadence)
    write_solution(result, args.out)
    for name, value in asdict(figures(result)).items():
        print(f"{name:24} {value:.2f}" if isinstance(value, float) else f"{name:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

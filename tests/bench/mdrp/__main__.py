"""`python -m tests.bench.mdrp replay INSTANCE OUT [--policy greedy]`: replay one MDRP instance and
write the evaluator's three solution files into OUT, with the figures."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

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
    args = parser.parse_args(argv)
    result = replay(read_instance(args.instance), POLICIES[args.policy], args.cadence)
    write_solution(result, args.out)
    for name, value in asdict(figures(result)).items():
        print(f"{name:24} {value:.2f}" if isinstance(value, float) else f"{name:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

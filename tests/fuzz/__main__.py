"""`make fuzz`: schemathesis against the local runtime, once per role, from /openapi.json.

Each role gets its own token, so that every route is fuzzed both where the role is allowed and
where it is refused. The checks: no server error, only documented status codes and content
types, and every response matching its documented schema. Any failure fails the run.
schemathesis runs in its own uv tool environment (its pins clash with the app's).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from infra.local_runtime.client import RuntimeProcess
from tests import ROOT, TEMPLATE

SCHEMATHESIS = "schemathesis==4.32.5"
ROLES = ("customer", "driver", "retailer", "ops", "system")
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def schemathesis(
    api_url: str, token: str, role: str, max_examples: int, seed: int, workdir: Path
) -> int:
    uv = str(ROOT / os.environ.get("UV", ".tools/uv/bin/uv"))  # ROOT / an absolute path: itself
    command = [
        uv, "tool", "run", "--quiet", "--python", sys.executable, "--from", SCHEMATHESIS,
        "st", "run", f"{api_url}/openapi.json",
        "--checks", CHECKS,
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        "--workers", "1",
        "--phases", "examples,coverage,fuzzing",
        "--suppress-health-check", "all",
        "--no-color",
    ]  # fmt: skip
    # Its own working directory: schemathesis leaves a .schemathesis/ folder behind. Its report
    # is printed whole only when it fails: its pytest-like closing lines ("== 3 warnings in 8s ==")
    # would otherwise stand as the last word of `make test`, a run that executed no test.
    run = subprocess.run(command, cwd=workdir, check=False, capture_output=True, text=True)
    if run.returncode:
        print(f"== schemathesis as {role}\n{run.stdout}{run.stderr}", flush=True)
    else:
        cases = re.search(r"^\s*(\d+ generated, \d+ passed.*)$", run.stdout, re.MULTILINE)
        print(f"== schemathesis as {role}: {cases.group(1) if cases else 'passed'}", flush=True)
    return run.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--roles", default=",".join(ROLES))
    args = parser.parse_args(argv)
    started = time.monotonic()
    failed = []
    with tempfile.TemporaryDirectory(prefix="flexfleet-fuzz-") as state:
        log_path = Path(state) / "runtime.log"
        with log_path.open("w") as log, RuntimeProcess(TEMPLATE, Path(state), log=log) as runtime:
            for role in args.roles.split(","):
                token = runtime.client.token(role, f"fuzz-{role}", ttl_seconds=3600)
                answer = schemathesis(
                    runtime.api_url, token, role, args.max_examples, args.seed, Path(state)
                )
                if answer:
                    failed.append(role)
        if failed:
            print(f"the runtime's log: {log_path.read_text()[-4000:]}")
    print(f"fuzz: {len(args.roles.split(','))} roles in {time.monotonic() - started:.0f} s; "
          f"{'failed as ' + ', '.join(failed) if failed else 'no failures'}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The README's walkthroughs, run as they are written, against a local runtime of their own.

The snippets are taken from README.md itself. Only what ties them to `make run` is rewritten:
the addresses of the API and of the control endpoint, and `make token`/`make fire`, which read
the runtime's state from `.local/`.
Each figure the README puts in a comment must be what the snippet prints.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import ROOT, TEMPLATE
from tests.runtime_http import Api, start_runtime

pytestmark = pytest.mark.e2e

SECTIONS = (
    "## Walkthrough: a token, then `/me`",
    "### Walkthrough: rate, respond, dispute, uphold",
    "### Walkthrough: retail shipping",
    "### Walkthrough: dispatch",
    "### Walkthrough: instant offers",
)


@pytest.fixture(scope="module")
def walkthrough_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Path]]:
    state = tmp_path_factory.mktemp("readme")
    for api in start_runtime(TEMPLATE, state, state / "runtime.log"):
        yield api, state


def snippets() -> list[str]:
    """The sh blocks of the walkthrough sections, in order."""
    readme = (ROOT / "README.md").read_text()
    blocks = []
    for heading in SECTIONS:
        section = readme.split(heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        blocks += re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return blocks


def for_this_runtime(snippet: str, api: Api, state: Path) -> str:
    address = urlsplit(api.base_url).netloc
    control = urlsplit(api.runtime.control_url).netloc
    cli = ".venv/bin/python -m infra.local_runtime"
    snippet = re.sub(r"^make run.*$", "", snippet, flags=re.MULTILINE)
    snippet = re.sub(
        r"make token ROLE=(\S+) SUB=([^\s)]+)",
        rf"{cli} token --state-dir {state} --role \1 --sub \2",
        snippet,
    )
    snippet = re.sub(r"make fire FN=(\S+)", rf"{cli} fire --state-dir {state} \1", snippet)
    snippet = snippet.replace("127.0.0.1:3000", address).replace("127.0.0.1:3004", control)
    return snippet.replace(".local/", f"{state}/")


def test_the_readme_walkthroughs_run_clean_and_print_the_figures_they_promise(
    walkthrough_app: tuple[Api, Path],
) -> None:
    api, state = walkthrough_app
    script = "set -euo pipefail\n" + "\n".join(for_this_runtime(s, api, state) for s in snippets())

    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    print(out)
    lines = out.splitlines()
    assert '{"status":"ok"}' in out
    assert '{"sub":"d-123","groups":["driver"]}' in out
    assert "Great 4.8095" in out  # the stream snippet
    assert "Fair 4.6666 - next: Great at 4.70 gap 0.0334" in out  # step 3
    assert "Great 4.8000 - next: Fantastic at 4.85 gap 0.0500" in out  # step 7
    # The retail walkthrough, step by step.
    assert "19.50 39.00" in out  # 1. the block's rate and pay
    assert "Fantastic ['blk-1']" in out and "Fair []" in out  # 2. before the Fair release
    assert "Fair ['blk-1']" in out  # 3. after it
    assert "held 19.50" in out and "checked_in upcoming" in out  # 4.
    assert "placed fashion-show-las-vegas" in out and "assigned d-fan" in out  # 5.
    assert "picked_up" in out and "\ndelivered" in out  # 6.
    assert "Great 1 4.8095" in out  # 7. the rating counted
    assert "1 2.00 39.00 4.50 43.50" in out  # 8. the earnings
    # The dispatch walkthrough: three drivers, three orders, one round.
    for driver in ("t-amy", "t-ben", "t-cal"):
        assert f"{driver} 201" in out and f"{driver} 200" in out  # 2. accepted, checked in
    assert all(f"t-{n} 201" in out for n in (1, 2, 3, 4))  # 3. and 5. the orders placed
    held = [line for line in lines if re.fullmatch(r"t-[123] placed - -", line)]
    assert len(held) == 3  # 3. held by the engine: placed, with no reason for ops
    assigned = [m for line in lines if (m := re.fullmatch(r"t-[123] assigned (t-\w+) -", line))]
    assert len(assigned) == 3 and {m[1] for m in assigned} == {"t-amy", "t-ben", "t-cal"}  # 4.
    assert "1 assignedAt, 3 drivers" in out  # 4. one round, each order to its own driver
    assert "t-4 placed - past_deadline" in out  # 5. nobody can make it: ops see why
    # The instant offers walkthrough.
    assert "ord-i1:1 Fantastic 19.50 14 4.55" in out  # 2. to the Fantastic driver first
    assert "ord-i1:2 Great 20.50 14 4.78" in out  # 3. declined: the next, a dollar more
    assert "ord-i1:3 Fair 21.50 14 5.02" in out  # 4. expired: the next
    assert out.count("\naccepted") >= 2 and "assigned i-fair" in out  # 5. a retry, the same
    assert "[('i-fan', 'declined'), ('i-great', 'expired'), ('i-fair', 'accepted')]" in out  # 6.
    assert "Internal Server Error" not in out and '"code":"internal"' not in out
    ratings = lines[next(i for i, line in enumerate(lines) if "Great 4.8000" in line) + 1]
    assert '"customerId"' not in ratings  # the driver's ratings, after step 7
    customer_view = next(line for line in out.splitlines() if '"orderId":"ord-1"' in line)
    assert '"eta"' in customer_view and "d-fan" not in customer_view  # the customer's order

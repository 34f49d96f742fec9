"""The README's walkthroughs, run as they are written, against a local runtime of their own.

The snippets are taken from README.md itself. Only what ties them to `make run` is rewritten:
the API's address, and `make token`/`make fire`, which read the runtime's state from `.local/`.
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
    cli = ".venv/bin/python -m infra.local_runtime"
    snippet = re.sub(r"^make run.*$", "", snippet, flags=re.MULTILINE)
    snippet = re.sub(
        r"make token ROLE=(\S+) SUB=([^\s)]+)",
        rf"{cli} token --state-dir {state} --role \1 --sub \2",
        snippet,
    )
    snippet = re.sub(r"make fire FN=(\S+)", rf"{cli} fire --state-dir {state} \1", snippet)
    return snippet.replace("127.0.0.1:3000", address).replace(".local/", f"{state}/")


def test_the_readme_walkthroughs_run_clean_and_print_the_figures_they_promise(
    walkthrough_app: tuple[Api, Path],
) -> None:
    api, state = walkthrough_app
    script = "set -euo pipefail\n" + "\n".join(for_this_runtime(s, api, state) for s in snippets())

    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    print(out)
    assert '{"status":"ok"}' in out
    assert '{"sub":"d-123","groups":["driver"]}' in out
    assert "Great 4.8095" in out  # the stream snippet
    assert "Fair 4.6666 - next: Great at 4.70 gap 0.0334" in out  # step 3
    assert "Great 4.8000 - next: Fantastic at 4.85 gap 0.0500" in out  # step 7
    assert "Internal Server Error" not in out and '"code":"internal"' not in out
    assert '"customerId"' not in out.rsplit("\n", 2)[-2]  # the driver's ratings

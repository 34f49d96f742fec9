"""The emulator's own tests: the runtime's parts, and its semantics against a probe template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime_http import Api, start_runtime

FIXTURE_TEMPLATE = Path(__file__).with_name("fixtures") / "template.yaml"


@pytest.fixture(scope="session")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The fixture template of probe functions, for the runtime's own semantics."""
    state = tmp_path_factory.mktemp("probes")
    yield from start_runtime(FIXTURE_TEMPLATE, state, state / "runtime.log")

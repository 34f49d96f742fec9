"""The emulator's own tests: the runtime's parts, and its semantics against a probe template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime_http import Api, start_runtime

FIXTURES = Path(__file__).with_name("fixtures")
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
REALTIME_TEMPLATE = FIXTURES / "realtime.yaml"


@pytest.fixture(scope="session")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The fixture template of probe functions, for the runtime's own semantics."""
    state = tmp_path_factory.mktemp("probes")
    yield from start_runtime(FIXTURE_TEMPLATE, state, state / "runtime.log")


@pytest.fixture(scope="session")
def realtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The real-time fixture template: WebSocket API, sign-in, dashboard and CORS."""
    state = tmp_path_factory.mktemp("realtime")
    yield from start_runtime(REALTIME_TEMPLATE, state, state / "runtime.log")

"""SnapStart: the API functions register their priming before the snapshot, and the priming
builds what the first request would otherwise pay for."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flexfleet import composition, snapstart
from flexfleet.api.handler import http_api_function, prime
from flexfleet.api.routes import ratings, standing


@pytest.fixture
def snapshot_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], Any]]]:
    """A stand-in for the managed runtime's snapshot_restore_py, recording what is registered."""
    hooks: list[Callable[[], Any]] = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    yield hooks


def test_an_api_function_primes_its_services_before_the_snapshot(
    snapshot_hooks: list[Callable[[], Any]],
) -> None:
    built: list[str] = []
    app, _ = http_api_function(ratings.router)
    app.dependency_overrides[composition.rating_service] = lambda: built.append("ratings")

    [hook] = snapshot_hooks
    hook()

    assert built == ["ratings"]


def test_priming_builds_each_service_the_routes_need_once_and_never_the_caller() -> None:
    built: list[str] = []
    app, _ = http_api_function(ratings.router, standing.router)
    app.dependency_overrides[composition.rating_service] = lambda: built.append("ratings")
    app.dependency_overrides[composition.standing_service] = lambda: built.append("standing")

    prime(app)

    assert sorted(built) == ["ratings", "standing"]


def test_without_the_managed_runtime_nothing_is_registered() -> None:
    assert "snapshot_restore_py" not in sys.modules
    assert snapstart.before_snapshot(lambda: None) is False

"""The time, passed in: domain code takes a Clock so that tests can set it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A moment as items store it (pydantic's JSON form, UTC with Z), so that key conditions
    compare like with like: "+00:00" and "Z" do not sort alike."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

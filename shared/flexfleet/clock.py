"""The time, passed in: domain code takes a Clock so that tests can set it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Clock = Callable[[], datetime]

# How far ahead of our clock a client's or a station's clock may run. A reported time further
# ahead than this is refused: it has not happened yet. Five minutes is Kerberos' customary
# tolerance, and far more than NTP-synchronised devices drift.
CLOCK_SKEW = timedelta(minutes=5)


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A moment as items store it (pydantic's JSON form, UTC with Z), so that key conditions
    compare like with like: "+00:00" and "Z" do not sort alike."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class OffsetClock:
    """The local runtime's clock, which tests move forward: the real time plus the offset the
    runtime keeps in a file (its LOCAL_RUNTIME_CLOCK_FILE contract, `{"offsetSeconds": s}`).
    Read at every call, so that a move reaches a warm function at once. In AWS no such file is
    set and the functions use utc_now."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __call__(self) -> datetime:
        offset = json.loads(self._path.read_text())["offsetSeconds"]
        return utc_now() + timedelta(seconds=float(offset))

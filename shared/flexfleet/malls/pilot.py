"""The four malls of the retail pilot, shipped as data with the app and loaded at deploy.

The radii: 20 km covers the Las Vegas valley's core from the Strip; 15 km covers the suburbs
around the other three, the distance a same-day order travels in under half an hour there.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter

from flexfleet.malls.model import Mall

PILOT_MALLS_FILE = Path(__file__).with_name("pilot_malls.json")


def pilot_malls() -> list[Mall]:
    return TypeAdapter(list[Mall]).validate_json(PILOT_MALLS_FILE.read_bytes())

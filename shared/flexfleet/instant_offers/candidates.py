"""Who an order is offered to, and in what order: the grid cells to look in, who is near enough
and can still make the deadline, and the ranking, better tiers first.

Pure: no I/O and no clock; the caller passes `now`. Every parameter is in config.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flexfleet.geo import EARTH_RADIUS_KM, Point
from flexfleet.instant_offers import config

KM_PER_DEGREE = 2 * math.pi * EARTH_RADIUS_KM / 360


def _index(degrees: float) -> int:
    return math.floor(degrees * config.CELLS_PER_DEGREE)


def cell_of(point: Point) -> str:
    """The grid cell a position lies in, as the availability index keys it: "row:column"."""
    return f"{_index(point.lat)}:{_index(point.lng)}"


def cells_around(centre: Point, radius_km: float) -> list[str]:
    """Every cell that the box around the circle touches: the centre's cell and the neighbours
    the radius reaches (nine at most while a cell is wider than the radius). No mall sits near
    a pole or the antimeridian, where the box would wrap."""
    dlat = radius_km / KM_PER_DEGREE
    dlng = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(centre.lat)), 1e-6))
    rows = range(_index(centre.lat - dlat), _index(centre.lat + dlat) + 1)
    columns = range(_index(centre.lng - dlng), _index(centre.lng + dlng) + 1)
    return [f"{row}:{column}" for row in rows for column in columns]


@dataclass(frozen=True)
class Candidate:
    """An online driver near the mall, with what the offer to them would be."""

    driver_id: str
    tier: int  # flexfleet.tiers.Tier: higher is better
    distance_km: float  # from the driver to the mall
    arrives_at: datetime  # at the door, setting off now


def arrival(now: datetime, ready_at: datetime, to_mall: timedelta, trip: timedelta) -> datetime:
    """When a driver setting off now reaches the door: at the mall, no pickup before the order is
    ready; then pickup, the drive and the handover (`trip`, retail's dispatch time)."""
    return max(now + to_mall, ready_at) + trip


def in_reach(candidate: Candidate, deliver_by: datetime) -> bool:
    """Whether the driver, setting off now, reaches the door by the order's deadline."""
    return candidate.distance_km <= config.OFFER_RADIUS_KM and candidate.arrives_at <= deliver_by


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Better tiers first; within a tier the nearest first, then by id, so that the order is the
    same however the index answered."""
    return sorted(candidates, key=lambda c: (-c.tier, c.distance_km, c.driver_id))

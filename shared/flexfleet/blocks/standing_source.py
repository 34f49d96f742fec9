"""What blocks read of standing: a driver's tier, and whether ops deactivated them.

The one module of blocks that reads the standing table's items, which the standing stream keeps;
the tier is derived there exactly as GET /drivers/{driverId}/standing derives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flexfleet.dynamodb import unreadable
from flexfleet.standing.repository import stored_tier
from flexfleet.standing.review import is_deactivated
from flexfleet.tiers import Tier


@dataclass(frozen=True)
class DriverStanding:
    tier: Tier
    deactivated: bool


def driver_standing(driver_id: str, item: dict[str, Any] | None) -> DriverStanding:
    """A driver with no standing yet stands at the tier the priors give. An item that cannot be
    read is reported and read as that too: never a 500, and never a better tier than earned
    (the priors give Great, below Fantastic)."""
    item = item or {}
    try:
        tier = stored_tier(item)
    except ValueError as exc:
        unreadable.report(unreadable.UnreadableItem("standing", {"driverId": driver_id}, str(exc)))
        tier = stored_tier({})
    return DriverStanding(tier=tier, deactivated=is_deactivated(item))

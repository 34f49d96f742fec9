"""The four standing tiers: standing computes them, and blocks and offers are released by them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Tier(IntEnum):
    """Ordered worst to best, so that the weakest component decides: min() of the levels."""

    AT_RISK = 0
    FAIR = 1
    GREAT = 2
    FANTASTIC = 3

    @property
    def label(self) -> str:
        return {0: "At Risk", 1: "Fair", 2: "Great", 3: "Fantastic"}[self.value]

    @classmethod
    def of_label(cls, label: str) -> Tier:
        """The tier a label names; ValueError for any other text."""
        for tier in cls:
            if tier.label == label:
                return tier
        raise ValueError(f"not a tier: {label!r}")


@dataclass(frozen=True)
class DriverStanding:
    """What other features read of a driver's standing: the tier, and whether ops deactivated
    the driver. Standing derives it (standing.review.driver_standing); blocks decide by it."""

    tier: Tier
    deactivated: bool


# How a feature reads a driver's standing from their standing item: standing's own derivation
# (standing.review.driver_standing), which composition passes in.
StandingOf = Callable[[str, dict[str, Any] | None], DriverStanding]

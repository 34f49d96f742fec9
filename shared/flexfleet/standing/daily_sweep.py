"""The daily sweep: which drivers' standing moved with no new rating or delivery, found through
indexes, never a Scan (the projector then recomputes each of them).

A driver's standing changes with no new rating or delivery when one ages out of
its window (180 days for ratings, 90 for deliveries, 30 for the trend) or when
a warning matures into review. Drivers with activity today or yesterday are
recomputed too, which repairs drift a lagging index may have left in their recent standing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.standing import config
from flexfleet.standing.projector import ProjectionOutcome, StandingProjector


class DayIndexes(Protocol):
    def drivers_rated_on(self, day: datetime) -> set[str]: ...

    def drivers_delivering_on(self, day: datetime) -> set[str]: ...


class Warnings(Protocol):
    def warned_between(self, after: datetime, until: datetime) -> list[dict[str, Any]]: ...


def _days(edge: datetime) -> list[datetime]:
    return [edge - timedelta(days=n) for n in range(config.RECALCULATION_LOOKBACK_DAYS)]


class DailySweep:
    def __init__(
        self,
        sources: DayIndexes,
        standings: Warnings,
        projector: StandingProjector,
        clock: Clock = utc_now,
    ) -> None:
        self._sources = sources
        self._standings = standings
        self._projector = projector
        self._clock = clock

    def affected_drivers(self) -> set[str]:
        now = self._clock()
        drivers: set[str] = set()
        for day in (
            _days(now - config.RATING_WINDOW) + _days(now - config.TREND_WINDOW) + _days(now)
        ):
            drivers |= self._sources.drivers_rated_on(day)
        for day in _days(now - config.DELIVERY_WINDOW) + _days(now):
            drivers |= self._sources.drivers_delivering_on(day)
        maturing_from = (
            now - config.REVIEW_WARNING_NOTICE - timedelta(days=config.RECALCULATION_LOOKBACK_DAYS)
        )
        for item in self._standings.warned_between(
            maturing_from, now - config.REVIEW_WARNING_NOTICE
        ):
            drivers.add(str(item["driverId"]))
        return drivers

    def run(self, driver_ids: set[str] | None = None) -> tuple[set[str], ProjectionOutcome]:
        """Recomputes the given drivers, or else every affected one."""
        drivers = driver_ids if driver_ids is not None else self.affected_drivers()
        for driver_id in sorted(drivers):
            self._projector.recompute(driver_id)
        return drivers, self._projector.outcome

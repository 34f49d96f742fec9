"""The daily recalculation: the drivers whose windows moved, found through indexes, never a Scan.

A driver's standing changes with no new rating or delivery when one ages out of
its window (180 days for ratings, 90 for deliveries, 30 for the trend) or when
a warning matures into review. Drivers with activity today or yesterday are
recomputed too, which repairs drift a lagging index may have left in their recent standing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flexfleet.clock import Clock, utc_now
from flexfleet.deliveries.repository import DeliveryRepository
from flexfleet.ratings.repository import RatingRepository
from flexfleet.standing import config
from flexfleet.standing.recompute import RecomputeOutcome, StandingRecompute
from flexfleet.standing.repository import StandingRepository


def _days(edge: datetime) -> list[datetime]:
    return [edge - timedelta(days=n) for n in range(config.RECALCULATION_LOOKBACK_DAYS)]


class StandingRecalculation:
    def __init__(
        self,
        ratings: RatingRepository,
        deliveries: DeliveryRepository,
        standings: StandingRepository,
        recompute: StandingRecompute,
        clock: Clock = utc_now,
    ) -> None:
        self._ratings = ratings
        self._deliveries = deliveries
        self._standings = standings
        self._recompute = recompute
        self._clock = clock

    def affected_drivers(self) -> set[str]:
        now = self._clock()
        drivers: set[str] = set()
        for day in (
            _days(now - config.RATING_WINDOW) + _days(now - config.TREND_WINDOW) + _days(now)
        ):
            drivers |= self._ratings.drivers_on_day(day)
        for day in _days(now - config.DELIVERY_WINDOW) + _days(now):
            drivers |= self._deliveries.drivers_on_day(day)
        maturing_from = (
            now - config.REVIEW_WARNING_NOTICE - timedelta(days=config.RECALCULATION_LOOKBACK_DAYS)
        )
        for item in self._standings.warned_between(
            maturing_from, now - config.REVIEW_WARNING_NOTICE
        ):
            drivers.add(str(item["driverId"]))
        return drivers

    def run(self, driver_ids: set[str] | None = None) -> tuple[set[str], RecomputeOutcome]:
        """Recomputes the given drivers, or else every affected one."""
        drivers = driver_ids if driver_ids is not None else self.affected_drivers()
        for driver_id in sorted(drivers):
            self._recompute.everything(driver_id)
        return drivers, self._recompute.outcome

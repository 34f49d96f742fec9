"""Reading standing: a driver their own, ops anyone's, and the human review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.dynamodb import unreadable
from flexfleet.errors import NotFound
from flexfleet.identity import Caller, Role
from flexfleet.standing import config
from flexfleet.standing.view import ReviewQueue, StandingOut, standing_view


class StandingReader(Protocol):
    def get(self, driver_id: str) -> dict[str, Any] | None: ...

    def warned_between(self, after: datetime, until: datetime) -> list[dict[str, Any]]: ...


class StandingService:
    def __init__(self, standings: StandingReader, clock: Clock = utc_now) -> None:
        self._standings = standings
        self._clock = clock

    def of_driver(self, caller: Caller, driver_id: str) -> StandingOut:
        caller.require(Role.DRIVER, Role.OPS)
        is_self = Role.DRIVER in caller.roles and caller.sub == driver_id
        if not is_self and Role.OPS not in caller.roles:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        item = self._standings.get(driver_id)
        if item is None and not is_self:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        now = self._clock()
        view = unreadable.read(lambda stored: standing_view(driver_id, stored, now), item or {})
        if view is None:  # reported; the stream function rewrites it on the driver's next change
            raise NotFound(f"no readable standing for driver {driver_id}", field="driverId")
        return view

    def review_queue(self, caller: Caller) -> ReviewQueue:
        """Drivers At Risk, with evidence, warned at least 14 days ago: from the warnings index."""
        caller.require(Role.OPS)
        now = self._clock()
        since_ever = now.replace(year=2000)
        warned = self._standings.warned_between(since_ever, now - config.REVIEW_WARNING_NOTICE)
        views = unreadable.read_all(
            lambda item: standing_view(str(item.get("driverId")), item, now), warned
        )
        return ReviewQueue(items=[v for v in views if v.review.flagged])

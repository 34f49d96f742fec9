"""Reading standing: a driver their own, ops anyone's, the human review queue, and the standing
history; and writing that history from the standing stream."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from flexfleet.clock import Clock, iso, utc_now
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item
from flexfleet.dynamodb.streams import StreamRecord
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.errors import Conflict, IllegalTransition, NotFound
from flexfleet.identity import Caller, Role
from flexfleet.standing import config
from flexfleet.standing.history import (
    StandingHistory,
    StoredPoint,
    changed_at,
    chart_point,
    history_point,
    point_item,
    snapshot,
)
from flexfleet.standing.review import (
    ACTIVE,
    DEACTIVATED,
    ReviewDecision,
    ReviewDecisionRequest,
    account_status,
    is_deactivated,
)
from flexfleet.standing.view import ReviewQueue, StandingOut, standing_view


class StandingReader(Protocol):
    def get(self, driver_id: str) -> dict[str, Any] | None: ...

    def warned_between(self, after: datetime, until: datetime) -> list[dict[str, Any]]: ...


class DecisionStore(StandingReader, Protocol):
    def record_decision(
        self, driver_id: str, decision: dict[str, Any], status: str, seen: dict[str, Any] | None
    ) -> bool:
        """False if another decision was recorded since `seen` was read."""


class HistoryReader(Protocol):
    def newest_since(self, driver_id: str, since: str, limit: int) -> list[dict[str, Any]]: ...


class HistoryStore(Protocol):
    def add(self, item: dict[str, Any]) -> bool:
        """False if the point was written already."""


class StandingService:
    def __init__(
        self,
        standings: DecisionStore,
        clock: Clock = utc_now,
        history: HistoryReader | None = None,
    ) -> None:
        self._standings = standings
        self._clock = clock
        self._history = history

    def _readable_by(self, caller: Caller, driver_id: str) -> bool:
        """Whether the caller may read the driver's standing (a driver their own, ops anyone's);
        whether it is their own. Anyone else gets 404, as for a driver that does not exist."""
        caller.require(Role.DRIVER, Role.OPS)
        is_self = Role.DRIVER in caller.roles and caller.sub == driver_id
        if not is_self and Role.OPS not in caller.roles:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        return is_self

    def of_driver(self, caller: Caller, driver_id: str) -> StandingOut:
        is_self = self._readable_by(caller, driver_id)
        item = self._standings.get(driver_id)
        if item is None and not is_self:
            raise NotFound(f"no driver {driver_id}", field="driverId")
        now = self._clock()
        view = unreadable.read(lambda stored: standing_view(driver_id, stored, now), item or {})
        if view is None:  # reported; the stream function rewrites it on the driver's next change
            raise NotFound(f"no readable standing for driver {driver_id}", field="driverId")
        return view

    def history(self, caller: Caller, driver_id: str, days: int) -> StandingHistory:
        """The driver's points of the last `days` days, oldest first (at most the newest
        HISTORY_MAX_POINTS of them, one more read to know whether older ones were left out: then
        `truncated`). A driver with no point yet has an empty history."""
        self._readable_by(caller, driver_id)
        if self._history is None:
            raise RuntimeError("this StandingService was built without the standing history")
        since = iso(self._clock() - timedelta(days=days))
        limit = config.HISTORY_MAX_POINTS
        newest_first = self._history.newest_since(driver_id, since, limit + 1)
        points = unreadable.read_all(chart_point, reversed(newest_first[:limit]))
        return StandingHistory(
            driver_id=driver_id, points=points, truncated=len(newest_first) > limit
        )

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

    def decide(
        self, caller: Caller, driver_id: str, request: ReviewDecisionRequest
    ) -> tuple[ReviewDecision, bool]:
        """Records ops' decision on a driver, and whether it is new: the same decision and note
        from the same person again changes nothing. Deactivate needs an active driver, and
        reinstate a deactivated one."""
        caller.require(Role.OPS)
        caller.refuse_own_record({"driverId": driver_id}, "this review")
        item = self._standings.get(driver_id)
        if item is None:  # as GET /drivers/{driverId}/standing answers ops
            raise NotFound(f"no driver {driver_id}", field="driverId")
        seen = item.get("reviewDecision")
        if seen is not None:
            latest = ReviewDecision.model_validate(seen)
            if (latest.decision, latest.note, latest.decided_by) == (
                request.decision,
                request.note,
                caller.sub,
            ):
                return latest, False
        current = DEACTIVATED if is_deactivated(item) else ACTIVE
        if (request.decision, current) in (("deactivate", DEACTIVATED), ("reinstate", ACTIVE)):
            raise IllegalTransition(
                f"driver {driver_id} is {current}: they can't be {request.decision}d",
                field="decision",
            )
        decision = ReviewDecision(
            **request.model_dump(), decided_by=caller.sub, decided_at=self._clock()
        )
        stored = decision.model_dump(mode="json", by_alias=True)
        if not self._standings.record_decision(
            driver_id, stored, account_status(request.decision, current), seen
        ):
            raise Conflict(
                f"another decision on driver {driver_id} was recorded meanwhile: read it first",
                field="driverId",
            )
        return decision, True


class HistoryWriter:
    """The standing stream's other reader: a point for each record whose change moved the tier or
    a component. A record that moved nothing costs no request; a redelivered one writes nothing
    new (the point's key comes from the record)."""

    def __init__(self, history: HistoryStore, clock: Clock = utc_now) -> None:
        self._history = history
        self._clock = clock
        self.written = 0

    def handle_record(self, record: StreamRecord) -> StoredPoint | None:
        """The point the record made (None when nothing moved); UnreadableItem, reported, if its
        new image is not a standing the API could read: the record fails alone."""
        change = record.dynamodb
        if change.NewImage is None:
            return None  # a standing removed by hand: the history keeps what it was
        new_item = from_item(change.NewImage)
        driver_id = str(new_item.get("driverId") or "")
        now = self._clock()
        try:
            new = snapshot(driver_id, new_item, now)
        except UnreadableItem as problem:
            unreadable.report(problem)
            raise
        old_item = from_item(change.OldImage) if change.OldImage else None
        old = (
            None
            if old_item is None
            else unreadable.read(lambda item: snapshot(driver_id, item, now), old_item)
        )
        at = changed_at(new_item, change.changed_at(now))
        point = history_point(driver_id, old, new, at, change.SequenceNumber)
        if point is not None and self._history.add(point_item(point)):
            self.written += 1
        return point

"""Reading standing: a driver their own, ops anyone's, and the human review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.dynamodb import unreadable
from flexfleet.errors import Conflict, IllegalTransition, NotFound
from flexfleet.identity import Caller, Role
from flexfleet.standing import config
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


class StandingService:
    def __init__(self, standings: DecisionStore, clock: Clock = utc_now) -> None:
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

"""The standing projection: one driver's standing recomputed from its sources and written.

It is called for each driver a stream batch touches, and for each driver the daily sweep
finds (daily_sweep.py decides who; this module recomputes them).

Each component is recomputed from its source of truth and written only if no
newer result is stored, so a batch delivered twice, or two batches for one
driver racing on different shards, leave the same standing as one from-scratch
recomputation. The tier follows from the stored components; a change of tier
is written once, conditionally on what it was derived from, and published
through an outbox in the standing item.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.standing import config
from flexfleet.standing.model import (
    BookingFact,
    DeliveryFact,
    RatingFact,
    delivery_component,
    delivery_evidence,
    delivery_tiers,
    rating_component,
    rating_evidence,
    rating_tiers,
    reliability_component,
    reliability_tiers,
)
from flexfleet.standing.repository import TIER_ATTRIBUTES, stored_tier
from flexfleet.tiers import Tier

_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Sources(Protocol):
    """Where the inputs are read: StandingSources, or an in-memory stand-in."""

    def rating_facts(self, driver_id: str, since: datetime) -> list[RatingFact]: ...

    def delivery_facts(self, driver_id: str, since: datetime) -> list[DeliveryFact]: ...

    def booking_facts(self, driver_id: str, since: datetime) -> list[BookingFact]: ...


class StandingStore(Protocol):
    def write_component(
        self, driver_id: str, fields: dict[str, Any], as_of_name: str, as_of: int, now: datetime
    ) -> dict[str, Any] | None: ...

    def write_tier(
        self,
        driver_id: str,
        seen: dict[str, Any],
        new: Tier,
        now: datetime,
        change: dict[str, Any] | None = None,
    ) -> bool: ...

    def clear_pending_change(self, driver_id: str, change: dict[str, Any]) -> None: ...

    def get(self, driver_id: str) -> dict[str, Any] | None: ...


class TierChanges(Protocol):
    def tier_changed(self, driver_id: str, old: str | None, new: str, at: datetime) -> None: ...


def _merged(stored: list[Any], batch: Mapping[str, Any], key: str) -> list[Any]:
    """The query's results, corrected by the batch: a GSI lags its table, the batch does not.

    `batch` maps an item's id to its newest image in the batch, or None if removed (or
    moved to another driver). A stale batch image is overwritten by a later batch, whose
    recompute is later too; a lagging index, once trusted, would never be corrected.
    """
    merged = {getattr(fact, key): fact for fact in stored}
    for item_id, fact in batch.items():
        if fact is None:
            merged.pop(item_id, None)
        else:
            merged[item_id] = fact
    return list(merged.values())


@dataclass
class ProjectionOutcome:
    written: int = 0
    stale: int = 0  # refused: a newer result was stored already
    tier_changes: list[tuple[str, str | None, str]] = field(default_factory=list)


def _stored(tiers: Mapping[str, Tier]) -> dict[str, int]:
    return {TIER_ATTRIBUTES[component]: int(tier) for component, tier in tiers.items()}


class StandingProjector:
    def __init__(
        self,
        sources: Sources,
        standings: StandingStore,
        events: TierChanges,
        clock: Clock = utc_now,
    ) -> None:
        self._sources = sources
        self._standings = standings
        self._events = events
        self._clock = clock
        self.outcome = ProjectionOutcome()

    def ratings_changed(
        self, driver_id: str, batch: Mapping[str, RatingFact | None] = _NOTHING
    ) -> None:
        as_of, now = time.time_ns() // 1_000_000, self._clock()
        facts = _merged(
            self._sources.rating_facts(driver_id, now - config.RATING_WINDOW), batch, "rating_id"
        )
        component = rating_component(facts, now)
        fields = {
            "rating": component.model_dump(),
            **_stored(rating_tiers(component)),
            "ratingEvidence": rating_evidence(component),
        }
        self._settle(
            driver_id, self._standings.write_component(driver_id, fields, "ratingsAsOf", as_of, now)
        )

    def deliveries_changed(
        self, driver_id: str, batch: Mapping[str, DeliveryFact | None] = _NOTHING
    ) -> None:
        as_of, now = time.time_ns() // 1_000_000, self._clock()
        facts = _merged(
            self._sources.delivery_facts(driver_id, now - config.DELIVERY_WINDOW),
            batch,
            "delivery_id",
        )
        component = delivery_component(facts, now)
        fields = {
            "deliveries": component.model_dump(),
            **_stored(delivery_tiers(component)),
            "deliveryEvidence": delivery_evidence(component),
        }
        self._settle(
            driver_id,
            self._standings.write_component(driver_id, fields, "deliveriesAsOf", as_of, now),
        )

    def bookings_changed(
        self, driver_id: str, batch: Mapping[str, BookingFact | None] = _NOTHING
    ) -> None:
        as_of, now = time.time_ns() // 1_000_000, self._clock()
        facts = _merged(
            self._sources.booking_facts(driver_id, now - config.RELIABILITY_WINDOW),
            batch,
            "block_id",
        )
        component = reliability_component(facts, now)
        fields = {"reliability": component.model_dump(), **_stored(reliability_tiers(component))}
        self._settle(
            driver_id,
            self._standings.write_component(driver_id, fields, "bookingsAsOf", as_of, now),
        )

    def recompute(self, driver_id: str) -> None:
        """Every component of one driver, from their sources alone (the daily sweep's call)."""
        self.ratings_changed(driver_id)
        self.deliveries_changed(driver_id)
        self.bookings_changed(driver_id)

    def _settle(self, driver_id: str, item: dict[str, Any] | None) -> None:
        """After a component write: publish any change still pending, move the tier if the
        stored components say so, and publish that change (a first tier is no change)."""
        if item is None:
            self.outcome.stale += 1
            return
        self.outcome.written += 1
        for _ in range(3):
            self._publish_pending(driver_id, item)
            new = stored_tier(item)
            old = item.get("tier")
            if old == new.label:
                return
            now = self._clock()
            change = (
                None
                if old is None
                else {"oldTier": old, "newTier": new.label, "changedAt": now.isoformat()}
            )
            if self._standings.write_tier(driver_id, item, new, now, change):
                self.outcome.tier_changes.append((driver_id, old, new.label))
                if change is not None:
                    self._publish_pending(driver_id, {"pendingChange": change})
                return
            # Another recompute wrote meanwhile: read what it left and derive the tier again.
            item = self._standings.get(driver_id) or {}
        raise RuntimeError(f"the tier of {driver_id} kept moving under this recompute")

    def _publish_pending(self, driver_id: str, item: dict[str, Any]) -> None:
        change = item.get("pendingChange")
        if not change:
            return
        at = datetime.fromisoformat(change["changedAt"])
        self._events.tier_changed(driver_id, change["oldTier"], change["newTier"], at)
        self._standings.clear_pending_change(driver_id, change)

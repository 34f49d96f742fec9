"""recompute_standing: a driver's standing recomputed from the ratings and deliveries tables.

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
from typing import Any

from flexfleet.clock import Clock, utc_now
from flexfleet.deliveries.repository import DeliveryRepository
from flexfleet.ratings.repository import RatingRepository
from flexfleet.standing import config
from flexfleet.standing.config import Tier
from flexfleet.standing.events import StandingEvents
from flexfleet.standing.model import (
    DeliveryFact,
    RatingFact,
    component_tier,
    delivery_component,
    has_review_evidence,
    rating_component,
)
from flexfleet.standing.repository import StandingRepository

_NOTHING: Mapping[str, Any] = MappingProxyType({})
_EMPTY_RATINGS = rating_component([], utc_now())
_EMPTY_DELIVERIES = delivery_component([], utc_now())


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
class RecomputeOutcome:
    written: int = 0
    refused: int = 0  # a newer result was stored already
    tier_changes: list[tuple[str, str | None, str]] = field(default_factory=list)


class StandingRecompute:
    def __init__(
        self,
        ratings: RatingRepository,
        deliveries: DeliveryRepository,
        standings: StandingRepository,
        events: StandingEvents,
        clock: Clock = utc_now,
    ) -> None:
        self._ratings = ratings
        self._deliveries = deliveries
        self._standings = standings
        self._events = events
        self._clock = clock
        self.outcome = RecomputeOutcome()

    def ratings_changed(
        self, driver_id: str, batch: Mapping[str, RatingFact | None] = _NOTHING
    ) -> None:
        as_of, now = time.time_ns() // 1_000_000, self._clock()
        facts = _merged(
            self._ratings.facts_of_driver(driver_id, now - config.RATING_WINDOW), batch, "rating_id"
        )
        component = rating_component(facts, now)
        fields = {
            "rating": component.model_dump(),
            "ratingTier": int(component_tier("customerRating", component.score)),
            "ratingEvidence": has_review_evidence(component, _EMPTY_DELIVERIES),
        }
        self._settle(
            driver_id, self._standings.write_component(driver_id, fields, "ratingsAsOf", as_of, now)
        )

    def deliveries_changed(
        self, driver_id: str, batch: Mapping[str, DeliveryFact | None] = _NOTHING
    ) -> None:
        as_of, now = time.time_ns() // 1_000_000, self._clock()
        facts = _merged(
            self._deliveries.facts_of_driver(driver_id, now - config.DELIVERY_WINDOW),
            batch,
            "delivery_id",
        )
        component = delivery_component(facts, now)
        fields = {
            "deliveries": component.model_dump(),
            "onTimeTier": int(component_tier("onTimeRate", component.on_time_rate)),
            "completionTier": int(component_tier("completionRate", component.completion_rate)),
            "deliveryEvidence": has_review_evidence(_EMPTY_RATINGS, component),
        }
        self._settle(
            driver_id,
            self._standings.write_component(driver_id, fields, "deliveriesAsOf", as_of, now),
        )

    def everything(self, driver_id: str) -> None:
        self.ratings_changed(driver_id)
        self.deliveries_changed(driver_id)

    def _settle(self, driver_id: str, item: dict[str, Any] | None) -> None:
        """After a component write: publish any change still pending, move the tier if the
        stored components say so, and publish that change (a first tier is no change)."""
        if item is None:
            self.outcome.refused += 1
            return
        self.outcome.written += 1
        for _ in range(3):
            self._publish_pending(driver_id, item)
            new = tier_of(item)
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


def tier_of(item: dict[str, Any]) -> Tier:
    """The weakest stored component decides; a component never computed counts at its prior."""
    defaults = {
        "ratingTier": component_tier("customerRating", _EMPTY_RATINGS.score),
        "onTimeTier": component_tier("onTimeRate", _EMPTY_DELIVERIES.on_time_rate),
        "completionTier": component_tier("completionRate", _EMPTY_DELIVERIES.completion_rate),
    }
    return min(Tier(int(item.get(name, default))) for name, default in defaults.items())

"""Standing as drivers and ops see it: every component, its threshold and the gap, and why."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from pydantic import Field, ValidationError

from flexfleet.api_model import ApiModel, UtcDatetime
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.standing import config
from flexfleet.standing.model import (
    FOUR_PLACES,
    DeliveryComponent,
    RatingComponent,
    ReliabilityComponent,
    component_tier,
    delivery_component,
    rating_component,
    reliability_component,
)
from flexfleet.standing.repository import stored_tier
from flexfleet.standing.review import ACTIVE, DEACTIVATED, ReviewDecision, is_deactivated
from flexfleet.tiers import Tier


class ComponentView(ApiModel):
    """A component as a driver sees it: its value, its tier, and the way up."""

    value: Decimal
    tier: str
    next_tier: str | None = Field(description="null at the top tier")
    next_threshold: Decimal | None
    gap: Decimal | None = Field(description="how far the value is below the next tier's threshold")


def component_view(component: str, value: Decimal) -> ComponentView:
    """Tiers come from the exact value. It is shown cut to four decimals, never rounded up, so
    that a value a hair below a threshold never looks as if it reached it."""
    tier = component_tier(component, value)
    shown = value.quantize(FOUR_PLACES, ROUND_FLOOR)
    if tier is Tier.FANTASTIC:
        return ComponentView(
            value=shown, tier=tier.label, next_tier=None, next_threshold=None, gap=None
        )
    upper = Tier(tier + 1)
    threshold = config.TIER_THRESHOLDS[component][upper]
    return ComponentView(
        value=shown,
        tier=tier.label,
        next_tier=upper.label,
        next_threshold=threshold,
        gap=threshold - shown,
    )


class Counts(ApiModel):
    ratings_counted: int = Field(
        description="eligible ratings in the score (newest 100 of 180 days)"
    )
    ratings_in_window: int
    ratings_excluded: int = Field(description="excluded by upheld disputes")
    ratings_excused: int = Field(description="low ratings blamed only on outside causes")
    deliveries: int
    delivered: int
    on_time: int
    blocks_kept: int = Field(description="blocks checked in to, in the last 90 days")
    late_forfeits: int = Field(description="blocks forfeited within 45 minutes of the start")
    no_shows: int


class Coaching(ApiModel):
    """Shown to help, not scored."""

    factor_averages: dict[str, Decimal]
    star_histogram: dict[str, int]
    counts: Counts
    mean_stars_last_30_days: Decimal | None
    mean_stars_before: Decimal | None


class Review(ApiModel):
    warned_at: UtcDatetime | None = Field(description="when the driver first entered At Risk")
    evidence: bool = Field(description="enough ratings or deliveries to show a real problem")
    flagged: bool = Field(
        description="sent to human review, and not yet decided since the warning; nobody is "
        "deactivated automatically"
    )
    account_status: Literal["active", "deactivated"] = Field(
        description="deactivated only by an ops decision; a deactivated driver sees no offers"
    )
    decision: ReviewDecision | None = Field(description="the latest review decision, and why")


class StandingOut(ApiModel):
    driver_id: str
    tier: str
    tier_changed_at: UtcDatetime | None
    components: dict[str, ComponentView]
    coaching: Coaching
    review: Review
    updated_at: UtcDatetime | None


class ReviewQueue(ApiModel):
    items: list[StandingOut]


def standing_view(driver_id: str, item: dict[str, Any] | None, now: datetime) -> StandingOut:
    """The view of a stored standing; a driver with nothing recorded stands at the priors.
    UnreadableItem if the stored item is not one the stream function writes."""
    try:
        return _view(driver_id, item or {}, now)
    except (KeyError, TypeError, ValueError, ArithmeticError, ValidationError) as exc:
        key = {"driverId": driver_id}
        raise UnreadableItem("standing", key, str(exc).replace("\n", "; ")) from exc


def _view(driver_id: str, item: dict[str, Any], now: datetime) -> StandingOut:
    rating = RatingComponent.model_validate(item["rating"]) if "rating" in item else None
    deliveries = (
        DeliveryComponent.model_validate(item["deliveries"]) if "deliveries" in item else None
    )
    rating = rating or rating_component([], now)
    deliveries = deliveries or delivery_component([], now)
    reliability = (
        ReliabilityComponent.model_validate(item["reliability"])
        if "reliability" in item
        else reliability_component([], now)
    )
    warned_at = datetime.fromisoformat(item["warnedAt"]) if "warnedAt" in item else None
    decision = (
        ReviewDecision.model_validate(item["reviewDecision"]) if "reviewDecision" in item else None
    )
    evidence = bool(item.get("ratingEvidence") or item.get("deliveryEvidence"))
    tier = stored_tier(item)
    return StandingOut(
        driver_id=driver_id,
        tier=tier.label,
        tier_changed_at=datetime.fromisoformat(item["tierChangedAt"])
        if "tierChangedAt" in item
        else None,
        components={
            "customerRating": component_view("customerRating", rating.score),
            "onTimeRate": component_view("onTimeRate", deliveries.on_time_rate),
            "completionRate": component_view("completionRate", deliveries.completion_rate),
            "reliability": component_view("reliability", reliability.score),
        },
        coaching=Coaching(
            factor_averages=rating.factor_averages,
            star_histogram=rating.histogram,
            counts=Counts(
                ratings_counted=rating.counted,
                ratings_in_window=rating.in_window,
                ratings_excluded=rating.excluded,
                ratings_excused=rating.excused,
                deliveries=deliveries.total,
                delivered=deliveries.delivered,
                on_time=deliveries.on_time,
                blocks_kept=reliability.kept,
                late_forfeits=reliability.late_forfeits,
                no_shows=reliability.no_shows,
            ),
            mean_stars_last_30_days=rating.trend_recent,
            mean_stars_before=rating.trend_before,
        ),
        review=Review(
            warned_at=warned_at,
            evidence=evidence,
            flagged=is_flagged(tier, evidence, warned_at, now)
            and not (
                decision is not None and warned_at is not None and decision.decided_at > warned_at
            ),
            account_status=DEACTIVATED if is_deactivated(item) else ACTIVE,
            decision=decision,
        ),
        updated_at=datetime.fromisoformat(item["updatedAt"]) if "updatedAt" in item else None,
    )


def is_flagged(tier: Tier, evidence: bool, warned_at: datetime | None, now: datetime) -> bool:
    """At Risk, with evidence, and warned at least 14 days ago."""
    return (
        tier is Tier.AT_RISK
        and evidence
        and warned_at is not None
        and warned_at <= now - config.REVIEW_WARNING_NOTICE
    )

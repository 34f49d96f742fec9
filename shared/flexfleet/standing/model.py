"""The standing model: pure functions from ratings, deliveries and blocks to components and a tier.

No I/O and no clock: the caller passes `now`. Every parameter is in config.py.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict

from flexfleet.standing import config
from flexfleet.tiers import Tier

FACTORS = ("timeliness", "professionalism", "packageCare", "communication", "followedInstructions")
# The scored components, by the names the API shows them under.
COMPONENTS = ("customerRating", "onTimeRate", "completionRate", "reliability")

# Figures are shown to four decimals (rounded here; cut, never rounded up, in the view).
FOUR_PLACES = Decimal("0.0001")


def _round(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, ROUND_HALF_EVEN)


class RatingFact(BaseModel):
    """What the model needs of one rating."""

    model_config = ConfigDict(frozen=True)

    rating_id: str
    stars: int
    rated_at: datetime
    factors: dict[str, int] = {}
    tags: frozenset[str] = frozenset()
    excluded: bool = False  # by an upheld dispute


class DeliveryFact(BaseModel):
    """What the model needs of one delivery."""

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    promised_start: datetime
    promised_end: datetime
    delivered_at: datetime | None
    outcome: str  # delivered | undeliverable | returned | cancelled
    cause: str | None = None  # driver | external, when not delivered


class BookingFact(BaseModel):
    """What the model needs of one block a driver held."""

    model_config = ConfigDict(frozen=True)

    block_id: str
    start: datetime
    status: str  # held | checked_in | forfeited | no_show
    late_forfeit: bool = False


def is_excused(rating: RatingFact) -> bool:
    """A low rating whose every tag is a cause outside the driver's control."""
    return (
        rating.stars <= config.EXCUSABLE_MAX_STARS
        and bool(rating.tags)
        and rating.tags <= config.EXTERNAL_CAUSE_TAGS
    )


def is_eligible(rating: RatingFact) -> bool:
    return not rating.excluded and not is_excused(rating)


def bayesian_rating(stars: Sequence[int]) -> Decimal:
    """R~ = (m*C + sum) / (m + n)."""
    m, c = config.PRIOR_WEIGHT_M, config.PRIOR_MEAN_C
    return (m * c + sum(stars)) / (m + len(stars))


def upper_confidence_bound(stars: Sequence[int]) -> Decimal | None:
    """One-sided 95% upper bound of the mean stars (normal approximation); None below 2 ratings."""
    n = len(stars)
    if n < 2:
        return None
    mean = sum(stars) / n
    variance = sum((s - mean) ** 2 for s in stars) / (n - 1)
    return Decimal(str(mean + config.REVIEW_Z_95_ONE_SIDED * math.sqrt(variance / n)))


def smoothed_rate(successes: int, trials: int, prior: Decimal) -> Decimal:
    """(x + k*p0) / (n + k)."""
    k = config.SMOOTHING_K
    return (successes + k * prior) / (trials + k)


class RatingComponent(BaseModel):
    """The customer-rating component and its coaching figures."""

    score: Decimal
    counted: int  # ratings in the score: eligible, in the window, newest first
    sum_stars: int
    in_window: int  # every rating of the last 180 days
    excluded: int  # by upheld disputes
    excused: int  # low ratings blamed only on outside causes
    histogram: dict[str, int]  # "1".."5" over the counted ratings
    factor_averages: dict[str, Decimal]
    trend_recent: Decimal | None  # mean stars counted in the last 30 days
    trend_before: Decimal | None  # mean stars counted before that
    upper_bound: Decimal | None


def rating_component(ratings: Iterable[RatingFact], now: datetime) -> RatingComponent:
    since = now - config.RATING_WINDOW
    in_window = sorted(
        (r for r in ratings if r.rated_at > since), key=lambda r: r.rated_at, reverse=True
    )
    counted = [r for r in in_window if is_eligible(r)][: config.RATING_WINDOW_COUNT]
    stars = [r.stars for r in counted]
    factor_values: dict[str, list[int]] = {f: [] for f in FACTORS}
    for rating in counted:
        for name, value in rating.factors.items():
            factor_values.setdefault(name, []).append(value)
    recent_since = now - config.TREND_WINDOW
    recent = [r.stars for r in counted if r.rated_at > recent_since]
    before = [r.stars for r in counted if r.rated_at <= recent_since]
    histogram = Counter(stars)
    return RatingComponent(
        score=bayesian_rating(stars),
        counted=len(counted),
        sum_stars=sum(stars),
        in_window=len(in_window),
        excluded=sum(1 for r in in_window if r.excluded),
        excused=sum(1 for r in in_window if not r.excluded and is_excused(r)),
        histogram={str(s): histogram.get(s, 0) for s in range(1, 6)},
        factor_averages={
            name: _round(Decimal(sum(values)) / len(values))
            for name, values in factor_values.items()
            if values
        },
        trend_recent=_round(Decimal(sum(recent)) / len(recent)) if recent else None,
        trend_before=_round(Decimal(sum(before)) / len(before)) if before else None,
        upper_bound=upper_confidence_bound(stars),
    )


class DeliveryComponent(BaseModel):
    """On-time and completion rates over the delivery window."""

    on_time_rate: Decimal
    on_time: int
    delivered: int
    completion_rate: Decimal
    completable: int  # every delivery less those failed for an outside cause
    total: int


def delivery_component(deliveries: Iterable[DeliveryFact], now: datetime) -> DeliveryComponent:
    since = now - config.DELIVERY_WINDOW
    recent = [d for d in deliveries if d.promised_start > since]
    delivered = [d for d in recent if d.outcome == "delivered" and d.delivered_at is not None]
    on_time = [
        d
        for d in delivered
        if d.delivered_at is not None and d.promised_start <= d.delivered_at <= d.promised_end
    ]
    completable = [d for d in recent if d.outcome == "delivered" or d.cause != "external"]
    return DeliveryComponent(
        on_time_rate=smoothed_rate(len(on_time), len(delivered), config.ON_TIME_PRIOR),
        on_time=len(on_time),
        delivered=len(delivered),
        completion_rate=smoothed_rate(len(delivered), len(completable), config.COMPLETION_PRIOR),
        completable=len(completable),
        total=len(recent),
    )


class ReliabilityComponent(BaseModel):
    """Blocks kept against late forfeits and no-shows, over the reliability window."""

    score: Decimal
    kept: int  # checked in to
    late_forfeits: int
    no_shows: int


def reliability_component(bookings: Iterable[BookingFact], now: datetime) -> ReliabilityComponent:
    since = now - config.RELIABILITY_WINDOW
    # Each counts when it happens: a check-in (the block is kept: the driver came), a late
    # forfeit, a no-show. Nothing needs recomputing later as a block starts or ends.
    recent = [b for b in bookings if b.start > since]
    kept = sum(1 for b in recent if b.status == "checked_in")
    late = sum(1 for b in recent if b.status == "forfeited" and b.late_forfeit)
    no_shows = sum(1 for b in recent if b.status == "no_show")
    k = config.RELIABILITY_SMOOTHING_K
    score = (kept + k * config.RELIABILITY_PRIOR) / (kept + late + no_shows + k)
    return ReliabilityComponent(score=score, kept=kept, late_forfeits=late, no_shows=no_shows)


def component_tier(component: str, value: Decimal) -> Tier:
    thresholds = config.TIER_THRESHOLDS[component]
    for tier in (Tier.FANTASTIC, Tier.GREAT, Tier.FAIR):
        if value >= thresholds[tier]:
            return tier
    return Tier.AT_RISK


def rating_tiers(rating: RatingComponent) -> dict[str, Tier]:
    return {"customerRating": component_tier("customerRating", rating.score)}


def delivery_tiers(deliveries: DeliveryComponent) -> dict[str, Tier]:
    return {
        "onTimeRate": component_tier("onTimeRate", deliveries.on_time_rate),
        "completionRate": component_tier("completionRate", deliveries.completion_rate),
    }


def reliability_tiers(reliability: ReliabilityComponent) -> dict[str, Tier]:
    return {"reliability": component_tier("reliability", reliability.score)}


def prior_tiers() -> dict[str, Tier]:
    """Each component's tier while nothing is known of it: its value is its prior."""
    return {
        "customerRating": component_tier("customerRating", config.PRIOR_MEAN_C),
        "onTimeRate": component_tier("onTimeRate", config.ON_TIME_PRIOR),
        "completionRate": component_tier("completionRate", config.COMPLETION_PRIOR),
        "reliability": component_tier("reliability", config.RELIABILITY_PRIOR),
    }


def overall_tier(tiers: Mapping[str, Tier]) -> Tier:
    """The weakest component decides; a component not computed yet counts at its prior."""
    return min({**prior_tiers(), **tiers}.values())


def rating_evidence(rating: RatingComponent) -> bool:
    """Enough ratings that even the optimistic reading of them is bad."""
    return (
        rating.counted >= config.REVIEW_MIN_RATINGS
        and rating.upper_bound is not None
        and rating.upper_bound < config.REVIEW_MAX_UPPER_BOUND
    )


def delivery_evidence(deliveries: DeliveryComponent) -> bool:
    """Enough deliveries that a poor on-time rate is no accident."""
    return (
        deliveries.total >= config.REVIEW_MIN_DELIVERIES
        and deliveries.on_time_rate < config.REVIEW_MAX_ON_TIME
    )

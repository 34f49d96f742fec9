"""Every parameter of the standing model, in one place, with where it comes from.

The README's "Standing model" section explains each; change them here only.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flexfleet.tiers import Tier

# --- Customer rating: a Bayesian average (IMDb's weighted rating) ------------------------
# R~ = (m*C + sum of stars) / (m + n): m "ghost" ratings at the prior mean C keep a new
# driver's three 5-star ratings from outranking a veteran, and one early 1-star from sinking them.
PRIOR_WEIGHT_M = 20
PRIOR_MEAN_C = Decimal("4.8")
# Lyft, DoorDash and Instacart average the last 100 ratings (Uber 500); 180 days lets old
# history fade.
RATING_WINDOW_COUNT = 100
RATING_WINDOW = timedelta(days=180)
# A rating of at most 3 stars whose every tag is a cause outside the driver's control is not
# counted (Uber and Instacart drop such ratings).
EXCUSABLE_MAX_STARS = 3
EXTERNAL_CAUSE_TAGS = frozenset({"retailer_packaging", "store_delay", "weather", "wrong_address"})

# --- Deliveries: on-time and completion rates, smoothed towards a prior ------------------
# (x + k*p0) / (n + k): k pseudo-deliveries at the prior rate p0.
DELIVERY_WINDOW = timedelta(days=90)
SMOOTHING_K = 20
ON_TIME_PRIOR = Decimal("0.95")
COMPLETION_PRIOR = Decimal("0.98")

# --- Reliability: blocks kept, against late forfeits and no-shows --------------------------
# Flex counts a forfeit less than 45 minutes before the start, and a no-show, against
# reliability. Kept blocks are those checked in to, counted at check-in; a forfeit with notice
# counts for nothing.
# Smoothed as the delivery rates are, towards a prior of 0.98 over 10 pseudo-blocks: one
# no-show in a driver's first blocks is a warning, not a fall to At Risk.
RELIABILITY_WINDOW = timedelta(days=90)
RELIABILITY_SMOOTHING_K = 10
RELIABILITY_PRIOR = Decimal("0.98")

# --- Coaching figures (shown, not scored) -------------------------------------------------
TREND_WINDOW = timedelta(days=30)

# --- The daily recalculation ----------------------------------------------------------------
# Each window's edge is looked at for this many days back, so that a missed run loses nothing.
RECALCULATION_LOOKBACK_DAYS = 2


# The lowest value of each component that still reaches a tier. Below Fair is At Risk.
TIER_THRESHOLDS: dict[str, dict[Tier, Decimal]] = {
    "customerRating": {
        Tier.FANTASTIC: Decimal("4.85"),
        Tier.GREAT: Decimal("4.70"),
        Tier.FAIR: Decimal("4.30"),
    },
    "onTimeRate": {
        Tier.FANTASTIC: Decimal("0.95"),
        Tier.GREAT: Decimal("0.90"),
        Tier.FAIR: Decimal("0.80"),
    },
    "completionRate": {
        Tier.FANTASTIC: Decimal("0.98"),
        Tier.GREAT: Decimal("0.95"),
        Tier.FAIR: Decimal("0.90"),
    },
    "reliability": {
        Tier.FANTASTIC: Decimal("0.95"),
        Tier.GREAT: Decimal("0.90"),
        Tier.FAIR: Decimal("0.80"),
    },
}

# --- Human review: only when even the optimistic reading is bad --------------------------
# Evan Miller's advice for punitive decisions: act on a confidence bound, never on a small
# sample. A driver is flagged only when At Risk, with enough evidence, after a warning.
REVIEW_MIN_RATINGS = 50
REVIEW_MAX_UPPER_BOUND = Decimal("4.2")  # one-sided 95% upper bound of the mean stars
REVIEW_Z_95_ONE_SIDED = 1.6448536269514722
REVIEW_MIN_DELIVERIES = 50  # deliveries of the 90-day window, whatever their outcome
REVIEW_MAX_ON_TIME = Decimal("0.8")
REVIEW_WARNING_NOTICE = timedelta(days=14)

# --- Standing history (the dashboard's chart) ---------------------------------------------
# A point is kept for each change of the tier or of a component's value. The chart reads the
# last HISTORY_DEFAULT_DAYS days unless asked for up to HISTORY_MAX_DAYS; points are purged
# after HISTORY_RETENTION (a year of chart, and a month to spare). A driver rated many times a
# day makes many points: a read returns the newest HISTORY_MAX_POINTS of its window, and says
# (`truncated`) when it left older ones out.
HISTORY_DEFAULT_DAYS = 30
HISTORY_MAX_DAYS = 365
HISTORY_RETENTION = timedelta(days=400)
HISTORY_MAX_POINTS = 1000

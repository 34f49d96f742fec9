"""The application's metrics: every name the functions count, in one place. They go out through
Powertools' Metrics (CloudWatch's embedded metric format) in the namespace and service the
template sets, and the template's dashboard shows each of them."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit


class Metric(StrEnum):
    DELIVERIES_RECORDED = "DeliveriesRecorded"
    RATINGS_ACCEPTED = "RatingsAccepted"
    RATINGS_DUPLICATE = "RatingsDuplicate"  # a resubmitted rating, answered already_rated
    RATINGS_REFUSED = "RatingsRefused"  # refused by a rule: not theirs, too late, rated already
    DISPUTES_OPENED = "DisputesOpened"
    DISPUTES_DECIDED = "DisputesDecided"
    COMPONENTS_WRITTEN = "ComponentsWritten"  # standing components recomputed and stored
    COMPONENTS_STALE = "ComponentsStale"  # recomputed, but a newer result was stored already
    TIER_CHANGES = "TierChanges"
    DRIVERS_RECALCULATED = "DriversRecalculated"  # by the daily sweep
    BATCH_ITEM_FAILURES = "BatchItemFailures"  # stream records reported failed, to be retried
    UNREADABLE_ITEMS = "UnreadableItems"  # items the code could not read, skipped
    REVIEW_DECISIONS = "ReviewDecisions"
    ORDERS_PLACED = "OrdersPlaced"
    ORDER_TRANSITIONS = "OrderTransitions"  # cancel, pickup, delivery
    ORDERS_ASSIGNED = "OrdersAssigned"  # by dispatch
    ORDERS_FLAGGED = "OrdersFlagged"  # left unassigned with a new reason, which ops see
    DISPATCH_RACES_LOST = "DispatchRacesLost"  # an assignment another run or change got to first
    BLOCKS_PUBLISHED = "BlocksPublished"
    BLOCKS_ACCEPTED = "BlocksAccepted"
    BLOCKS_FULL = "BlocksFull"  # an accept refused with block_full
    BLOCKS_FORFEITED = "BlocksForfeited"
    BLOCK_JOB_CHANGES = "BlockJobChanges"  # releases, surges, no-shows and expiries written
    INSTANT_OFFERS_MADE = "InstantOffersMade"  # by the expiry job, to the next candidate
    INSTANT_OFFERS_ACCEPTED = "InstantOffersAccepted"
    INSTANT_OFFERS_DECLINED = "InstantOffersDeclined"
    INSTANT_OFFERS_EXPIRED = "InstantOffersExpired"  # marked by the expiry job
    INSTANT_OFFERS_WITHDRAWN = "InstantOffersWithdrawn"  # by the expiry job: the order went
    HISTORY_POINTS_WRITTEN = "StandingHistoryPoints"  # a driver's tier or a component moved
    PUSHES_SENT = "PushesSent"  # messages posted to a WebSocket connection
    CONNECTIONS_GONE = "ConnectionsGone"  # found gone (410) by a push, and removed
    CONNECTIONS_OPENED = "ConnectionsOpened"
    # Tokens the WebSocket authorizer denied, and connections over a user's cap ($connect's 429).
    CONNECTIONS_REFUSED = "ConnectionsRefused"


@cache
def _metrics() -> Metrics:
    # Made on first use, not at import: it reads its namespace from the environment.
    return Metrics()


def count(metric: Metric, value: int = 1) -> None:
    """Adds to a metric of this invocation; the handler's log_metrics publishes them all (every
    Metrics instance shares one set)."""
    _metrics().add_metric(name=metric.value, unit=MetricUnit.Count, value=value)

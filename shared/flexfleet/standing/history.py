"""The standing history: a point whenever a driver's tier or a component's value moves.

Pure: a change of the standing item (its old and new stream images) gives a point, or none when
nothing the chart shows moved, which is most recomputes (a component rewritten with the same
value, a tier write after its component's, a review decision). Tier and values are derived from
the item exactly as GET /drivers/{driverId}/standing derives them (standing.view), so the chart
and the standing page agree. A point's key is its moment then the stream record's sequence
number: a redelivered record writes the same point, and two changes in one moment stay two, in
the stream's order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationError

from flexfleet.api_model import ApiModel
from flexfleet.clock import iso
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.ids import Identifier
from flexfleet.standing import config
from flexfleet.standing.view import standing_view


class Snapshot(ApiModel):
    """What the chart shows of a standing: the tier and each component's value."""

    tier: str
    components: dict[str, Decimal]


class HistoryPoint(ApiModel):
    at: datetime = Field(description="when the tier or a component moved")
    tier: str
    components: dict[str, Decimal] = Field(
        description="each component's value then: customerRating, onTimeRate, completionRate, "
        "reliability"
    )


class StoredPoint(HistoryPoint):
    """A point as the history table keeps it, and as its stream tells the notifier."""

    driver_id: Identifier
    point_id: str
    previous_tier: str | None = Field(default=None, description="null for the driver's first point")


class StandingHistory(ApiModel):
    driver_id: Identifier
    points: list[HistoryPoint] = Field(description="oldest first")
    # Said, not left to guess: a chart that starts late would otherwise read as a driver with
    # no history before it.
    truncated: bool = Field(
        description=f"true when the window holds more than {config.HISTORY_MAX_POINTS} points "
        "and its older ones were left out: `points` then starts later than the window"
    )


# What a standing item holds once a recompute has written it; an item with none of these (a
# key alone, as moto's stream shows an update creating an item) has no standing to chart yet.
COMPUTED = ("rating", "deliveries", "reliability", "tier")


def snapshot(driver_id: str, item: dict[str, Any], now: datetime) -> Snapshot | None:
    """The tier and values of a standing item, or None if nothing is computed in it yet;
    UnreadableItem if it is not one the API reads."""
    if not any(name in item for name in COMPUTED):
        return None
    view = standing_view(driver_id, item, now)
    return Snapshot(
        tier=view.tier,
        components={name: component.value for name, component in view.components.items()},
    )


def changed_at(item: dict[str, Any], otherwise: datetime) -> datetime:
    """When the item last moved: its latest write (a component's, or the tier's)."""
    moments = [
        datetime.fromisoformat(str(item[name]))
        for name in ("updatedAt", "tierChangedAt")
        if item.get(name)
    ]
    return max(moments, default=otherwise)


# A stream record's sequence number has up to 40 digits: padded, two changes of one moment sort in
# the order the stream recorded them.
SEQUENCE_DIGITS = 40


def history_point(
    driver_id: str,
    old: Snapshot | None,
    new: Snapshot | None,
    at: datetime,
    record_id: str,
) -> StoredPoint | None:
    """The point a change makes, or None if neither the tier nor any value moved. `record_id` is
    the stream record's sequence number: the same when the record is delivered again."""
    if new is None or (old is not None and old == new):
        return None
    return StoredPoint(
        driver_id=driver_id,
        point_id=f"{iso(at)}#{record_id.zfill(SEQUENCE_DIGITS)}",
        at=at,
        tier=new.tier,
        previous_tier=None if old is None else old.tier,
        components=new.components,
    )


def point_item(point: StoredPoint) -> dict[str, Any]:
    """A point as the history table keeps it: values as numbers, the moment in UTC, and when
    DynamoDB's TTL deletes it (epoch seconds)."""
    return {
        "driverId": point.driver_id,
        "pointId": point.point_id,
        "at": iso(point.at),
        "tier": point.tier,
        "previousTier": point.previous_tier,
        "components": dict(point.components),
        "purgeAt": int((point.at + config.HISTORY_RETENTION).timestamp()),
    }


def stored_point(data: dict[str, Any]) -> StoredPoint:
    """A point from its item's plain values; UnreadableItem if it is not one this module
    writes."""
    try:
        return StoredPoint.model_validate(
            {name: data.get(name) for name in _STORED if data.get(name) is not None}
        )
    except (TypeError, ValueError, ValidationError) as exc:
        key = {"driverId": data.get("driverId"), "pointId": data.get("pointId")}
        raise UnreadableItem(TABLE, key, str(exc).replace("\n", "; ")) from exc


def chart_point(item: dict[str, Any]) -> HistoryPoint:
    """What the chart shows of a stored point."""
    point = stored_point(item)
    return HistoryPoint(at=point.at, tier=point.tier, components=point.components)


TABLE = "standingHistory"
_STORED = ("driverId", "pointId", "at", "tier", "previousTier", "components")

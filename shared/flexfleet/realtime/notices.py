"""What each change means to whom: the pure core of live updates.

A change is a stream record's old and new images, each read into its feature's model. Each
function below gives the notices a change makes: who is told, which of their roles a connection
must hold for it, the message type and its data. Who is told follows the HTTP API's reads: a
rating and its dispute go to the rated driver (as GET /drivers/{driverId}/ratings shows them,
without the customer), an order's status to its retailer and its customer and its assignment to
its driver (as GET /retail/orders/{orderId} shows each of them), offers to the driver they are
for. A released block names its tiers here; which drivers stand in them is found by the notifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flexfleet.blocks import config as blocks_config
from flexfleet.blocks.model import Block, ReservedOffer
from flexfleet.blocks.service import block_view
from flexfleet.identity import Role
from flexfleet.instant_offers.model import InstantOffer
from flexfleet.ratings.model import Rating
from flexfleet.ratings.service import for_driver as rating_for_driver
from flexfleet.realtime.model import MessageType
from flexfleet.retail.model import Order
from flexfleet.retail.service import for_driver as order_for_driver
from flexfleet.standing.history import StoredPoint
from flexfleet.tiers import DriverStanding, Tier

DRIVER = frozenset({Role.DRIVER})
DECIDED = ("upheld", "rejected")
# The tiers in the order blocks are released to them (Fantastic first): a block's `releasedTo`
# counts how many of them have seen it.
RELEASE_ORDER = tuple(blocks_config.RELEASE_DELAYS)


@dataclass(frozen=True)
class Notice:
    user_id: str
    roles: frozenset[Role]  # a connection must have been opened with one of them
    type: MessageType
    data: dict[str, Any]


def _json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return data


def rating_notices(old: Rating | None, new: Rating | None) -> list[Notice]:
    """A new rating, and a dispute decided, each to the rated driver; never who rated."""
    if new is None:
        return []
    if old is None:
        shown = rating_for_driver(new)
        data = {
            "ratingId": shown.rating_id,
            "deliveryId": shown.delivery_id,
            "stars": shown.stars,
            "factors": None if shown.factors is None else _json(shown.factors),
            "comment": shown.comment,
            "tags": list(shown.tags),
            "createdAt": _json(shown)["ratedAt"],
        }
        return [Notice(new.driver_id, DRIVER, MessageType.RATING_CREATED, data)]
    was_open = old.dispute is not None and old.dispute.status == "open"
    dispute = new.dispute
    if was_open and dispute is not None and dispute.status in DECIDED:
        data = {
            "ratingId": new.rating_id,
            "disputeId": dispute.dispute_id,
            "outcome": dispute.status,
            "decidedAt": _json(dispute)["decidedAt"],
            "note": dispute.note,
        }
        return [Notice(new.driver_id, DRIVER, MessageType.DISPUTE_DECIDED, data)]
    return []


def standing_notices(point: StoredPoint | None) -> list[Notice]:
    """A new point of the standing history (the tier or a component moved), to the driver."""
    if point is None:
        return []
    data = {
        "driverId": point.driver_id,
        "tier": point.tier,
        "previousTier": point.previous_tier,
        "components": {name: str(value) for name, value in point.components.items()},
        "at": _json(point)["at"],
    }
    return [Notice(point.driver_id, DRIVER, MessageType.STANDING_CHANGED, data)]


def order_notices(old: Order | None, new: Order | None) -> list[Notice]:
    """A new status, to the retailer and the customer; an assignment, to its driver (as the
    driver reads the order: without the customer)."""
    if new is None or (old is not None and old.status == new.status):
        return []
    status = {
        "orderId": new.order_id,
        "status": new.status,
        "statusChangedAt": _json(new)["statusChangedAt"],
    }
    notices = [
        Notice(new.retailer_id, frozenset({Role.RETAILER}), MessageType.ORDER_STATUS, status),
        Notice(new.customer_id, frozenset({Role.CUSTOMER}), MessageType.ORDER_STATUS, status),
    ]
    if new.status == "assigned" and new.driver_id:
        data = _json(order_for_driver(new))
        notices.append(Notice(new.driver_id, DRIVER, MessageType.ORDER_ASSIGNED, data))
    return notices


def instant_offer_notices(old: InstantOffer | None, new: InstantOffer | None) -> list[Notice]:
    """A new offer, to its driver, as their open offers show it."""
    if old is not None or new is None or new.status != "pending":
        return []
    return [Notice(new.driver_id, DRIVER, MessageType.INSTANT_OFFER_CREATED, _json(new))]


def reserved_offer_notices(
    old: ReservedOffer | None, new: ReservedOffer | None, block: Block | None
) -> list[Notice]:
    """A new reserved offer, to its driver, with its block as their offers show it."""
    if old is not None or new is None or new.status != "pending" or block is None:
        return []
    data = {**_json(block_view(block)), "reserved": True, "expiresAt": _json(new)["expiresAt"]}
    return [Notice(new.driver_id, DRIVER, MessageType.OFFER_RESERVED, data)]


def released_tiers(old: Block | None, new: Block | None) -> list[Tier]:
    """The tiers that first see the block with this change: at publication the first
    `releasedTo` (Fantastic), then each the release job adds. None for any other change."""
    if new is None:
        return []
    before = 0 if old is None else old.released_to
    return list(RELEASE_ORDER[before : new.released_to])


def release_notices(
    block: Block, tiers: list[Tier], standings: dict[str, DriverStanding], now: datetime
) -> list[Notice]:
    """The block, to each driver (of those who prefer its mall: the caller's query) in a tier it
    has just been released to: not deactivated, no premium block for At Risk, before its start
    and while a place is open. As GET /drivers/{driverId}/offers decides."""
    if block.taken >= block.capacity or block.start <= now:
        return []
    data = _json(block_view(block))
    return [
        Notice(driver, DRIVER, MessageType.OFFER_RELEASED, data)
        for driver, standing in sorted(standings.items())
        if standing.tier in tiers
        and not standing.deactivated
        and not (block.premium and standing.tier is Tier.AT_RISK)
    ]

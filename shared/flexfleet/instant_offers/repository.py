"""Instant offers and drivers' availability in DynamoDB, found without a Scan.

Availability is one item per driver; while online it carries `cell`, its grid cell, which the
sparse `byCell` index keys by `updatedAt`: the drivers near a mall are a query of the mall's cell
and its neighbours for positions fresh enough. An offer is keyed by its order and round, so an
order's offers are one consistent query, and round n is created once (a conditional put) however
many runs try. While pending it carries `pendingDriverId` and `pendingMall`, which the sparse
`pendingByDriver` and `pendingByMall` indexes key by `expiresAt`; every end removes them.

A driver holds one open offer at most: an offer is created in one transaction with a claim on
its driver's availability item (`pendingOfferId`, `pendingOfferUntil`, the offer's window end),
written only if the driver holds no claim still open. Two runs that both read the driver as free
cannot both offer them work: the second transaction is refused. A decline or a withdrawal gives
the claim back; an expiry needs nothing, as the claim lapses with the window; an accept keeps
it until the window ends, so that no run offers the driver more work while the order's
`activeByDriver` entry, which `holds_work` reads, is still on its way to the index.

An accept is one transaction: the offer from pending (and unexpired, and the caller's) to
accepted, and the order from `placed` to `assigned` to its driver, with no block.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.clock import iso
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.models import model_item, read_model
from flexfleet.dynamodb.pages import all_items, items_by_key, items_of_keys
from flexfleet.dynamodb.transactions import TransactionRefused, transact
from flexfleet.instant_offers.candidates import cell_of
from flexfleet.instant_offers.duty import BlockDuty
from flexfleet.instant_offers.model import Availability, Created, InstantOffer, OfferStatus
from flexfleet.retail.model import Order
from flexfleet.retail.repository import OrderRepository, order_from_item, order_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The orders a driver works on: the statuses in which an order is the driver's.
WORKING = frozenset({"assigned", "picked_up"})


def availability_from_item(item: dict[str, Any]) -> Availability:
    return read_model(Availability, item, "availability", "driverId")


def offer_from_item(item: dict[str, Any]) -> InstantOffer:
    return read_model(InstantOffer, item, "instant offers", "orderId", "round")


def offer_item(offer: InstantOffer) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if offer.status == "pending":
        extra = {"pendingDriverId": offer.driver_id, "pendingMall": offer.mall_id}
    return model_item(offer, **extra)


def _key(order_id: str, round_: int) -> dict[str, Any]:
    return {"orderId": {"S": order_id}, "round": {"N": str(round_)}}


class InstantOfferRepository:
    def __init__(
        self,
        client: DynamoDBClient,
        availability_table: str,
        offers_table: str,
        orders: OrderRepository,
        standing_table: str,
        bookings_table: str,
    ) -> None:
        self._client = client
        self._availability = availability_table
        self.table_name = offers_table
        self._orders = orders
        self._standing = standing_table
        self._duty = BlockDuty(client, bookings_table)

    # ------------------------------------------------------------------ availability
    def put_availability(self, availability: Availability) -> None:
        """The driver's state, every field replaced: the newest position wins. Offline, the item
        leaves the byCell index. An update, not a put, so that it keeps the driver's claim of an
        open offer."""
        extra = {"cell": cell_of(availability.position)} if availability.online else {}
        fields = [(k, v) for k, v in model_item(availability, **extra).items() if k != "driverId"]
        update = "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        self._client.update_item(
            TableName=self._availability,
            Key={"driverId": {"S": availability.driver_id}},
            UpdateExpression=update + ("" if availability.online else " REMOVE cell"),
            ExpressionAttributeNames={f"#f{i}": k for i, (k, _) in enumerate(fields)},
            ExpressionAttributeValues={f":f{i}": v for i, (_, v) in enumerate(fields)},
        )

    def online_in(self, cells: list[str], since: datetime) -> list[Availability]:
        """The drivers online in these cells whose position is no older than `since`."""
        found: list[Availability] = []
        for cell in cells:
            items = all_items(
                self._client,
                TableName=self._availability,
                IndexName="byCell",
                KeyConditionExpression="cell = :cell AND updatedAt >= :since",
                ExpressionAttributeValues={":cell": {"S": cell}, ":since": {"S": iso(since)}},
            )
            found += unreadable.read_all(availability_from_item, items)
        return [a for a in found if a.online]

    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The drivers' standing items (as plain values); a driver with none is left out."""
        return items_by_key(self._client, self._standing, "driverId", driver_ids)

    # ------------------------------------------------------------------ orders
    def order(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def orders(self, order_ids: list[str]) -> dict[str, Order]:
        """The orders found, by id, 100 keys a request, read consistently."""
        items = items_of_keys(
            self._client, self._orders.table_name, "orderId", order_ids, consistent=True
        )
        return {o.order_id: o for o in unreadable.read_all(order_from_item, items)}

    def working(self, driver_id: str, now: datetime) -> str | None:
        """What the driver works on, if anything: an order they hold (assigned or picked up,
        instant or from a block), or a block they are checked in on that has not ended. The
        orders are found on the activeByDriver index and each is read again consistently, so an
        order that has just ended does not count; the booking is read consistently too."""
        found = self._orders.active_of_driver(driver_id)
        current = self.orders([o.order_id for o in found]) if found else {}
        held = sorted(
            o.order_id for o in current.values() if o.status in WORKING and o.driver_id == driver_id
        )
        if held:
            return f"order {held[0]}"
        booking = self._duty.on_duty(driver_id, now)
        return f"block {booking.block_id}" if booking is not None else None

    def holds_work(self, driver_id: str, now: datetime) -> bool:
        """Whether the driver works (see `working`), or has an instant offer open."""
        return (
            bool(self.pending_of_driver(driver_id, now)) or self.working(driver_id, now) is not None
        )

    # ------------------------------------------------------------------ offers
    def offers_of(self, order_id: str) -> list[InstantOffer]:
        """Every offer of the order, first round first, read consistently."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            KeyConditionExpression="orderId = :order",
            ExpressionAttributeValues={":order": {"S": order_id}},
            ConsistentRead=True,
        )
        return unreadable.read_all(offer_from_item, items)

    def offer(self, order_id: str, round_: int) -> InstantOffer | None:
        item = self._client.get_item(
            TableName=self.table_name, Key=_key(order_id, round_), ConsistentRead=True
        ).get("Item")
        return unreadable.read(offer_from_item, item) if item else None

    def pending_of_driver(self, driver_id: str, now: datetime) -> list[InstantOffer]:
        """The driver's offers still open at `now`, soonest to expire first."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName="pendingByDriver",
            KeyConditionExpression="pendingDriverId = :driver AND expiresAt > :now",
            ExpressionAttributeValues={":driver": {"S": driver_id}, ":now": {"S": iso(now)}},
        )
        return unreadable.read_all(offer_from_item, items)

    def pending_at_mall(self, mall_id: str) -> list[InstantOffer]:
        """The mall's pending offers, expired or not, soonest to expire first."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName="pendingByMall",
            KeyConditionExpression="pendingMall = :mall",
            ExpressionAttributeValues={":mall": {"S": mall_id}},
        )
        return unreadable.read_all(offer_from_item, items)

    def create(self, offer: InstantOffer) -> Created:
        """Stores a new offer and claims its driver until the offer's window ends, both or
        neither: refused if the round exists already, or the driver holds a claim still open."""
        try:
            transact(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": offer_item(offer),
                            "ConditionExpression": "attribute_not_exists(orderId)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._availability,
                            "Key": {"driverId": {"S": offer.driver_id}},
                            "UpdateExpression": (
                                "SET pendingOfferId = :offer, pendingOfferUntil = :until"
                            ),
                            "ConditionExpression": (
                                "attribute_exists(driverId) AND "
                                "(attribute_not_exists(pendingOfferUntil) "
                                "OR pendingOfferUntil <= :now)"
                            ),
                            "ExpressionAttributeValues": {
                                ":offer": {"S": offer.offer_id},
                                ":until": {"S": iso(offer.expires_at)},
                                ":now": {"S": iso(offer.offered_at)},
                            },
                        }
                    },
                ],
            )
        except TransactionRefused as refused:
            if refused.failed(0):
                return "round_taken"
            if refused.failed(1):
                return "driver_offered"
            return "contended"
        return "created"

    def _release(self, offer: InstantOffer) -> None:
        """The driver's claim given back, if it is still this offer's. Were this write lost,
        the claim would lapse at the window's end all the same."""
        try:
            self._client.update_item(
                TableName=self._availability,
                Key={"driverId": {"S": offer.driver_id}},
                UpdateExpression="REMOVE pendingOfferId, pendingOfferUntil",
                ConditionExpression="pendingOfferId = :offer",
                ExpressionAttributeValues={":offer": {"S": offer.offer_id}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass

    def close(
        self,
        offer: InstantOffer,
        status: OfferStatus,
        at: datetime,
        *,
        withdrawn_because: str | None = None,
        driver_id: str | None = None,
        expired_by: datetime | None = None,
        open_at: datetime | None = None,
    ) -> bool:
        """Ends a pending offer; False if it had ended already, or the extra conditions fail:
        `driver_id` its driver, `expired_by` expired by then, `open_at` not expired then."""
        condition = "#status = :pending"
        names = {"#status": "status"}
        values: dict[str, Any] = {
            ":pending": {"S": "pending"},
            ":status": {"S": status},
            ":at": {"S": iso(at)},
        }
        update = "SET #status = :status, endedAt = :at"
        if withdrawn_because is not None:
            update += ", withdrawnBecause = :because"
            values[":because"] = {"S": withdrawn_because}
        if driver_id is not None:
            condition += " AND driverId = :driver"
            values[":driver"] = {"S": driver_id}
        if expired_by is not None:
            condition += " AND expiresAt <= :expired"
            values[":expired"] = {"S": iso(expired_by)}
        if open_at is not None:
            condition += " AND expiresAt > :open"
            values[":open"] = {"S": iso(open_at)}
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=_key(offer.order_id, offer.round),
                UpdateExpression=update + " REMOVE pendingDriverId, pendingMall",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        if status != "expired":  # an expired offer's claim has lapsed with its window
            self._release(offer)
        return True

    def accept(self, offer: InstantOffer, at: datetime, order: Order, assigned: Order) -> None:
        """The offer accepted and the order assigned to its driver, both or neither;
        TransactionRefused says which condition failed (0: the offer, 1: the order). The
        driver's claim is kept until the window ends (see the module's docstring)."""
        transact(
            self._client,
            [
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": _key(offer.order_id, offer.round),
                        "UpdateExpression": (
                            "SET #status = :accepted, endedAt = :at "
                            "REMOVE pendingDriverId, pendingMall"
                        ),
                        "ConditionExpression": (
                            "#status = :pending AND expiresAt > :at AND driverId = :driver"
                        ),
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":accepted": {"S": "accepted"},
                            ":pending": {"S": "pending"},
                            ":at": {"S": iso(at)},
                            ":driver": {"S": offer.driver_id},
                        },
                    }
                },
                {
                    "Put": {
                        "TableName": self._orders.table_name,
                        "Item": order_item(assigned),
                        "ConditionExpression": "#status = :placed AND orderId = :order",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":placed": {"S": "placed"},
                            ":order": {"S": order.order_id},
                        },
                    }
                },
            ],
        )

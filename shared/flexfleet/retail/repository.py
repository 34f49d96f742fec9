"""Retail orders in DynamoDB: one item per order, every change a write conditioned on the status
it starts from.

Sparse index attributes follow the status: `waitingMall` while the order waits for a driver
(dispatch reads the mall's queue by readyAt), `activeDriverId` while a driver works on it (the
driver's assignments). An order's end takes it off its driver's booking in the same transaction
(the driver is free once the booking holds none), and a delivery also records the delivery that
the customer will rate.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.repository import booking_key
from flexfleet.clock import iso
from flexfleet.deliveries.model import Delivery
from flexfleet.deliveries.repository import to_item as delivery_item
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.cursors import decode_cursor, encode_cursor
from flexfleet.dynamodb.models import model_item, read_model
from flexfleet.dynamodb.pages import all_items, put_new
from flexfleet.dynamodb.transactions import TransactionRefused, transact
from flexfleet.retail.model import WITH_DRIVER, Order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def order_from_item(item: dict[str, Any]) -> Order:
    return read_model(Order, item, "orders", "orderId")


def order_item(order: Order) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if order.status == "placed":
        extra["waitingMall"] = order.mall_id
    if order.status in WITH_DRIVER:
        extra["activeDriverId"] = order.driver_id
    return model_item(order, **extra)


class OrderExists(Exception):
    def __init__(self, existing: Order | None) -> None:
        super().__init__("taken")
        self.existing = existing


class DeliveryTaken(Exception):
    """A delivery with the order's id is recorded already: the order's delivery can't be."""


class OrderRepository:
    def __init__(
        self, client: DynamoDBClient, table_name: str, deliveries_table: str, bookings_table: str
    ) -> None:
        self._client = client
        self.table_name = table_name
        self._deliveries = deliveries_table
        self._bookings = bookings_table

    def add(self, order: Order) -> None:
        """Stores a new order; OrderExists, carrying the stored one, if the id is taken."""
        stored = put_new(self._client, self.table_name, order_item(order), "orderId")
        if stored is not None:
            raise OrderExists(unreadable.read(order_from_item, stored))

    def delivery_recorded(self, delivery_id: str) -> bool:
        """Whether the deliveries table holds that id: an order's delivery is recorded under
        the order's id, so an order may not take one in use."""
        return "Item" in self._client.get_item(
            TableName=self._deliveries,
            Key={"deliveryId": {"S": delivery_id}},
            ProjectionExpression="deliveryId",
        )

    def get(self, order_id: str) -> Order | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"orderId": {"S": order_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(order_from_item, item) if item else None

    def page(
        self,
        index: str,
        owner: str,
        owner_id: str,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Order], str | None]:
        """A page of the orders of one retailer (byRetailer) or mall (byMall), newest first.
        With a status, a page may hold fewer than `limit`: the filter applies after the read."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index,
            "KeyConditionExpression": f"{owner} = :owner",
            "ExpressionAttributeValues": {":owner": {"S": owner_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            query["FilterExpression"] = "#status = :status"
            query["ExpressionAttributeNames"] = {"#status": "status"}
            query["ExpressionAttributeValues"][":status"] = {"S": status}
        start = decode_cursor(
            cursor, key_names={"orderId", owner, "placedAt"}, must_match={owner: owner_id}
        )
        if start:
            query["ExclusiveStartKey"] = start
        page = self._client.query(**query)
        orders = unreadable.read_all(order_from_item, page["Items"])
        return orders, encode_cursor(page.get("LastEvaluatedKey"))

    def active_of_driver(self, driver_id: str) -> list[Order]:
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName="activeByDriver",
            KeyConditionExpression="activeDriverId = :driver",
            ExpressionAttributeValues={":driver": {"S": driver_id}},
        )
        return unreadable.read_all(order_from_item, items)

    def waiting(self, mall_id: str) -> list[Order]:
        """The mall's orders waiting for a driver, ready longest first."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName="waiting",
            KeyConditionExpression="waitingMall = :mall",
            ExpressionAttributeValues={":mall": {"S": mall_id}},
        )
        return unreadable.read_all(order_from_item, items)

    # ------------------------------------------------------------------ transitions
    def _order_put(self, before: Order, after: Order) -> dict[str, Any]:
        condition = "#status = :from"
        values: dict[str, Any] = {":from": {"S": before.status}}
        if before.driver_id is not None:
            condition += " AND driverId = :driver"
            values[":driver"] = {"S": before.driver_id}
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": order_item(after),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": values,
            }
        }

    def _free_driver(self, order: Order, at: datetime, tips: Any = None) -> dict[str, Any]:
        """The booking under which the order was assigned no longer carries it. Its driver is
        free once it carries none: DynamoDB drops the emptied set, whichever of a bundle's
        orders ends last, and in whatever order they end. An order taken through an instant
        offer has no block (block_id None), so there is no booking to free: its callers leave
        this write out.

        For one release, a booking written before bundles holds its one order in
        `currentOrderId` instead: either form is accepted and removed (DELETE from a missing set
        and REMOVE of a missing attribute change nothing)."""
        assert order.block_id is not None and order.driver_id is not None
        update = "SET freedAt = :at DELETE currentOrderIds :orders REMOVE currentOrderId"
        values: dict[str, Any] = {
            ":order": {"S": order.order_id},
            ":orders": {"SS": [order.order_id]},
            ":at": {"S": iso(at)},
        }
        if tips is not None:
            update = (
                "SET freedAt = :at, tips = tips + :tip, ordersDelivered = ordersDelivered + :one "
                "DELETE currentOrderIds :orders REMOVE currentOrderId"
            )
            values |= {":tip": {"N": str(tips)}, ":one": {"N": "1"}}
        return {
            "Update": {
                "TableName": self._bookings,
                "Key": booking_key(order.block_id, order.driver_id),
                "UpdateExpression": update,
                "ConditionExpression": (
                    "contains(currentOrderIds, :order) OR currentOrderId = :order"
                ),
                "ExpressionAttributeValues": values,
            }
        }

    def transition(self, before: Order, after: Order) -> bool:
        """Moves the order from the status read; False if it had moved already. A transaction
        only when the driver's booking must change too: alone, a conditional put costs half."""
        writes = [self._order_put(before, after)]
        if before.status in WITH_DRIVER and after.status not in WITH_DRIVER and before.block_id:
            writes.append(self._free_driver(before, after.status_changed_at))
        try:
            if len(writes) == 1:
                self._client.put_item(**writes[0]["Put"])
            else:
                transact(self._client, writes)
        except (TransactionRefused, self._client.exceptions.ConditionalCheckFailedException):
            return False
        return True

    def finish(self, before: Order, after: Order, delivery: Delivery | None) -> bool:
        """Ends a picked-up order, records its delivery (to be rated) unless None, and frees the
        driver, passing the tip to them when delivered: all or nothing. False if the order had
        moved already; DeliveryTaken if a delivery with its id was recorded meanwhile."""
        tips = after.tip if after.status == "delivered" else 0
        writes = [self._order_put(before, after)]
        if delivery is not None:
            writes.append(
                {
                    "Put": {
                        "TableName": self._deliveries,
                        "Item": delivery_item(delivery),
                        "ConditionExpression": "attribute_not_exists(deliveryId)",
                    }
                }
            )
        if before.block_id is not None:
            writes.append(self._free_driver(before, after.status_changed_at, tips))
        try:
            transact(self._client, writes)
        except TransactionRefused as refused:
            if refused.failed(0) or delivery is None or not refused.failed(1):
                return False
            raise DeliveryTaken(delivery.delivery_id) from refused
        return True

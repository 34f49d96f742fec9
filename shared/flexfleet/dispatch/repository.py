"""What dispatch reads and writes: a mall's waiting orders, its drivers on duty, and each
assignment, written to the order and the driver's booking in one transaction.

The order moves only from `placed`, and the booking takes it only while it carries no other
order: a retried, redelivered or concurrent run assigns each order at most once, and each driver
at most one order at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.model import Booking
from flexfleet.blocks.repository import booking_from_item, booking_key
from flexfleet.clock import iso
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.pages import all_items, batch_get
from flexfleet.dynamodb.transactions import TransactionRefused, transact
from flexfleet.retail.model import Order
from flexfleet.retail.repository import OrderRepository, order_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DispatchRepository:
    def __init__(
        self,
        client: DynamoDBClient,
        orders: OrderRepository,
        bookings_table: str,
        standing_table: str,
    ) -> None:
        self._client = client
        self._orders = orders
        self._bookings = bookings_table
        self._standing = standing_table

    def waiting(self, mall_id: str) -> list[Order]:
        return self._orders.waiting(mall_id)

    def on_duty(self, mall_id: str, now: datetime) -> list[Booking]:
        """Bookings checked in at the mall whose block has not ended."""
        items = all_items(
            self._client,
            TableName=self._bookings,
            IndexName="onDuty",
            KeyConditionExpression="onDutyMall = :mall AND #end > :now",
            ExpressionAttributeNames={"#end": "end"},
            ExpressionAttributeValues={":mall": {"S": mall_id}, ":now": {"S": iso(now)}},
        )
        return unreadable.read_all(booking_from_item, items)

    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The drivers' standing items (as plain values), 100 keys a request; a driver with none
        is left out."""
        found: dict[str, dict[str, Any]] = {}
        for first in range(0, len(driver_ids), 100):
            keys = [{"driverId": {"S": d}} for d in driver_ids[first : first + 100]]
            for item in batch_get(self._client, {self._standing: keys}).get(self._standing, []):
                found[item["driverId"]["S"]] = plain_item(item)
        return found

    def assign(self, order: Order, assigned: Order) -> bool:
        """False if the order or the driver was taken meanwhile: nothing is written then."""
        assert assigned.block_id is not None and assigned.driver_id is not None
        try:
            transact(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self._orders.table_name,
                            "Item": order_item(assigned),
                            "ConditionExpression": "#status = :placed",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {":placed": {"S": "placed"}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._bookings,
                            "Key": booking_key(assigned.block_id, assigned.driver_id),
                            "UpdateExpression": "SET currentOrderId = :order",
                            "ConditionExpression": (
                                "attribute_not_exists(currentOrderId) AND #status = :in"
                            ),
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {
                                ":order": {"S": order.order_id},
                                ":in": {"S": "checked_in"},
                            },
                        }
                    },
                ],
            )
        except TransactionRefused:
            return False
        return True

    def flag(self, order: Order, flagged: Order) -> bool:
        """Records why the order can't be assigned, while it still waits."""
        try:
            self._client.put_item(
                TableName=self._orders.table_name,
                Item=order_item(flagged),
                ConditionExpression="#status = :placed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":placed": {"S": "placed"}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

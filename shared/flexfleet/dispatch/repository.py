"""What dispatch reads and writes: a mall's waiting orders, its drivers on duty, each trip (the
orders of a bundle and the driver's booking in one transaction), why an order waits, and the
lease that keeps two runs for one mall from overlapping.

Each order of a trip moves only from `placed`, and the booking takes the trip only while it holds
no work: a retried, redelivered or concurrent run assigns each order at most once, and gives a
driver one trip at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.model import Booking
from flexfleet.blocks.repository import booking_from_item, booking_key
from flexfleet.clock import iso
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import to_attribute
from flexfleet.dynamodb.pages import all_items, items_by_key
from flexfleet.dynamodb.transactions import TransactionRefused, transact
from flexfleet.geo import Point
from flexfleet.retail.model import Order, Unassigned
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
        """The drivers' standing items (as plain values); a driver with none is left out."""
        return items_by_key(self._client, self._standing, "driverId", driver_ids)

    def assign(
        self,
        booking: Booking,
        placed: list[Order],
        assigned: list[Order],
        busy_until: datetime,
        last_dropoff: Point,
    ) -> bool:
        """One trip: its orders, as read and as assigned, and the plan the booking keeps. False
        if any order or the driver was taken meanwhile: nothing is written then."""
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._orders.table_name,
                    "Item": order_item(after),
                    "ConditionExpression": "#status = :placed",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":placed": {"S": "placed"}},
                }
            }
            for after in assigned
        ]
        writes.append(
            {
                "Update": {
                    "TableName": self._bookings,
                    "Key": booking_key(booking.block_id, booking.driver_id),
                    "UpdateExpression": (
                        "SET currentOrderIds = :orders, busyUntil = :until, lastDropoff = :where"
                    ),
                    # currentOrderId: an order held the last release's way (for one release).
                    "ConditionExpression": (
                        "attribute_not_exists(currentOrderIds)"
                        " AND attribute_not_exists(currentOrderId) AND #status = :in"
                    ),
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":orders": {"SS": sorted(o.order_id for o in placed)},
                        ":until": {"S": iso(busy_until)},
                        ":where": to_attribute(last_dropoff.model_dump(mode="json")),
                        ":in": {"S": "checked_in"},
                    },
                }
            }
        )
        try:
            transact(self._client, writes)
        except TransactionRefused:
            return False
        return True

    def note_unassigned(self, order_id: str, unassigned: Unassigned | None) -> bool:
        """Records why the order waits (None: it waits for no reason ops need), while it is
        still placed; False if it moved meanwhile."""
        write: dict[str, Any] = {
            "TableName": self._orders.table_name,
            "Key": {"orderId": {"S": order_id}},
            "UpdateExpression": "REMOVE unassigned",
            "ConditionExpression": "#status = :placed",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":placed": {"S": "placed"}},
        }
        if unassigned is not None:
            write["UpdateExpression"] = "SET unassigned = :why"
            write["ExpressionAttributeValues"][":why"] = to_attribute(
                unassigned.model_dump(mode="json", by_alias=True, exclude_none=True)
            )
        try:
            self._client.update_item(**write)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


class MallLeases:
    """One item per mall, held by one dispatch run at a time: taken if absent or expired, given
    back by its holder alone. The expiry outlasts the function's timeout, so a run that died
    holding it delays the mall's next run, never stops it."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def take(self, mall_id: str, holder: str, now: datetime, until: datetime) -> bool:
        # Epoch seconds, not ISO text: they compare as numbers, and TTL removes a lease left
        # behind.
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "mallId": {"S": mall_id},
                    "holder": {"S": holder},
                    "expiresAt": {"N": str(int(until.timestamp()))},
                },
                ConditionExpression="attribute_not_exists(mallId) OR expiresAt <= :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def give_back(self, mall_id: str, holder: str) -> None:
        """Ends the lease, unless it expired and another run took it meanwhile."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"mallId": {"S": mall_id}},
                ConditionExpression="holder = :me",
                ExpressionAttributeValues={":me": {"S": holder}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass

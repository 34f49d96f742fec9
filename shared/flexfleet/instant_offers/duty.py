"""Where instant offers read a driver's block work: the bookings table the blocks feature
records, and nothing else of theirs.

A driver checked in on a block that has not ended takes their work from dispatch, through the
booking, which knows nothing of instant orders: an instant offer would give them a second job.
The bookings table has no key by driver alone, so the driver's bookings are one query of its
byDriver index, bounded by what a checked-in block can be (checked in from CHECK_IN_OPENS before
its start, and no longer than MAX_BLOCK_LENGTH), and each one found is read again consistently:
the index lags, and the write that matters, the check-in, is often a moment old. (A booking is
made before its block starts, so the index holds it long before the check-in.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flexfleet.blocks import config as blocks_config
from flexfleet.blocks.model import Booking
from flexfleet.blocks.repository import booking_from_item, booking_key
from flexfleet.clock import iso
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.pages import all_items, batch_get

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class BlockDuty:
    def __init__(self, client: DynamoDBClient, bookings_table: str) -> None:
        self._client = client
        self._bookings = bookings_table

    def on_duty(self, driver_id: str, now: datetime) -> Booking | None:
        """The driver's booking checked in on a block that has not ended at `now`, if any."""
        since = now - blocks_config.MAX_BLOCK_LENGTH
        until = now + blocks_config.CHECK_IN_OPENS
        found = all_items(
            self._client,
            TableName=self._bookings,
            IndexName="byDriver",
            KeyConditionExpression="driverId = :driver AND #start BETWEEN :since AND :until",
            ExpressionAttributeNames={"#start": "start"},
            ExpressionAttributeValues={
                ":driver": {"S": driver_id},
                ":since": {"S": iso(since)},
                ":until": {"S": iso(until)},
            },
            ProjectionExpression="blockId, driverId",
        )
        keys = [booking_key(i["blockId"]["S"], i["driverId"]["S"]) for i in found]
        if not keys:
            return None
        # A driver's blocks never overlap: the window holds a handful, far under a batch's 100.
        items = batch_get(self._client, {self._bookings: keys[:100]}, consistent=True)
        bookings = unreadable.read_all(booking_from_item, items.get(self._bookings, []))
        return next((b for b in bookings if b.status == "checked_in" and b.end > now), None)

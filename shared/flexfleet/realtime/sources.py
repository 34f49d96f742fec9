"""Where the notifier reads what other features record: their stream images, each read with the
reader that feature's own API uses, and the few items a push needs beside the image (the drivers
who prefer a mall and their standing, a reserved offer's block).

This is the one module of live updates that reads other features' tables, as standing/sources.py
is for standing: they know nothing of live updates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.model import Block, ReservedOffer
from flexfleet.blocks.repository import block_from_item
from flexfleet.blocks.repository import offer_from_item as reserved_offer_from_item
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.pages import all_items, items_by_key
from flexfleet.instant_offers.model import InstantOffer
from flexfleet.instant_offers.repository import offer_from_item as instant_offer_from_item
from flexfleet.ratings.model import Rating
from flexfleet.ratings.repository import from_item as rating_from_item
from flexfleet.retail.model import Order
from flexfleet.retail.repository import order_from_item
from flexfleet.standing.history import StoredPoint, stored_point

__all__ = ["READERS", "Block", "Image", "NotifierSources"]

# Each table's image reader, by the kind of table the notifier reads.
READERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "ratings": rating_from_item,
    "standingHistory": lambda image: stored_point(plain_item(image)),
    "blocks": block_from_item,
    "reservedOffers": reserved_offer_from_item,
    "instantOffers": instant_offer_from_item,
    "orders": order_from_item,
}
Image = Rating | StoredPoint | Block | ReservedOffer | InstantOffer | Order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class NotifierSources:
    def __init__(
        self, client: DynamoDBClient, drivers_table: str, standing_table: str, blocks_table: str
    ) -> None:
        self._client = client
        self._drivers = drivers_table
        self._standing = standing_table
        self._blocks = blocks_table

    def drivers_preferring(self, mall_id: str) -> list[str]:
        """The drivers who prefer the mall: one query of DriversTable's sparse byPreferredMall
        index (keys only), read in pages."""
        items = all_items(
            self._client,
            TableName=self._drivers,
            IndexName="byPreferredMall",
            KeyConditionExpression="preferredMall = :mall",
            ExpressionAttributeValues={":mall": {"S": mall_id}},
        )
        return [item["driverId"]["S"] for item in items]

    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The drivers' standing items, 100 a request; a driver with none is left out."""
        return items_by_key(self._client, self._standing, "driverId", driver_ids)

    def block(self, block_id: str) -> Block | None:
        item = self._client.get_item(
            TableName=self._blocks, Key={"blockId": {"S": block_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(block_from_item, item) if item else None

"""Deliveries in DynamoDB: one item per delivery, indexed by driver and by day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from flexfleet.api_model import stored_fields
from flexfleet.deliveries.model import Delivery
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.attribute_values import to_item as attribute_item
from flexfleet.dynamodb.day_index import day_bucket
from flexfleet.dynamodb.pages import put_new
from flexfleet.dynamodb.unreadable import UnreadableItem

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE = "deliveries"


def to_item(delivery: Delivery) -> dict[str, Any]:
    data = delivery.model_dump(mode="json", by_alias=True, exclude_none=True)
    window = data.pop("promisedWindow")
    data.update(promisedStart=window["start"], promisedEnd=window["end"])
    data["dayBucket"] = day_bucket(delivery.promised_window.start, delivery.driver_id)
    return attribute_item(data)


def from_item(item: dict[str, Any]) -> Delivery:
    """A delivery from its item (or its stream image); UnreadableItem if it is not one."""
    try:
        data = plain_item(item)
        data["promisedWindow"] = {
            "start": data.pop("promisedStart"),
            "end": data.pop("promisedEnd"),
        }
        data.pop("dayBucket", None)
        data.setdefault("deliveredAt", None)
        return Delivery.model_validate(stored_fields(Delivery, data))
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        key = {"deliveryId": item.get("deliveryId")}
        raise UnreadableItem(TABLE, key, str(exc).replace("\n", "; ")) from exc


class DeliveryExists(Exception):
    def __init__(self, existing: Delivery | None) -> None:
        super().__init__("taken")
        self.existing = existing  # None when the stored one cannot be read


class DeliveryRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def add(self, delivery: Delivery) -> None:
        """Stores a new delivery; DeliveryExists, carrying the stored one, if the id is taken."""
        stored = put_new(self._client, self.table_name, to_item(delivery), "deliveryId")
        if stored is not None:
            raise DeliveryExists(unreadable.read(from_item, stored))

    def get(self, delivery_id: str) -> Delivery | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"deliveryId": {"S": delivery_id}}
        ).get("Item")
        return unreadable.read(from_item, item) if item else None

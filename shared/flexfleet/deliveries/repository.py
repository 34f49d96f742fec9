"""Deliveries in DynamoDB: one item per delivery, indexed by driver and by day."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.attribute_values import from_item as plain_item
from flexfleet.attribute_values import to_item as attribute_item
from flexfleet.clock import iso
from flexfleet.day_index import day_bucket, drivers_on_day
from flexfleet.deliveries.model import Delivery
from flexfleet.query_pages import all_items, put_new
from flexfleet.standing.model import DeliveryFact

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_DRIVER_INDEX = "byDriver"


def to_item(delivery: Delivery) -> dict[str, Any]:
    data = delivery.model_dump(mode="json", by_alias=True, exclude_none=True)
    window = data.pop("promisedWindow")
    data.update(promisedStart=window["start"], promisedEnd=window["end"])
    data["dayBucket"] = day_bucket(delivery.promised_window.start, delivery.driver_id)
    return attribute_item(data)


def from_item(item: dict[str, Any]) -> Delivery:
    data = plain_item(item)
    data["promisedWindow"] = {"start": data.pop("promisedStart"), "end": data.pop("promisedEnd")}
    data.pop("dayBucket", None)
    data.setdefault("deliveredAt", None)
    return Delivery.model_validate(data)


def fact_from_item(item: dict[str, Any]) -> DeliveryFact:
    def when(name: str) -> datetime | None:
        return datetime.fromisoformat(item[name]["S"]) if name in item else None

    return DeliveryFact(
        delivery_id=item["deliveryId"]["S"],
        promised_start=datetime.fromisoformat(item["promisedStart"]["S"]),
        promised_end=datetime.fromisoformat(item["promisedEnd"]["S"]),
        delivered_at=when("deliveredAt"),
        outcome=item["outcome"]["S"],
        cause=item["cause"]["S"] if "cause" in item else None,
    )


class DeliveryExists(Exception):
    def __init__(self, existing: Delivery) -> None:
        super().__init__(existing.delivery_id)
        self.existing = existing


class DeliveryRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def add(self, delivery: Delivery) -> None:
        """Stores a new delivery; DeliveryExists, carrying the stored one, if the id is taken."""
        stored = put_new(self._client, self.table_name, to_item(delivery), "deliveryId")
        if stored is not None:
            raise DeliveryExists(from_item(stored))

    def get(self, delivery_id: str) -> Delivery | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"deliveryId": {"S": delivery_id}}
        ).get("Item")
        return from_item(item) if item else None

    def facts_of_driver(self, driver_id: str, since: datetime) -> list[DeliveryFact]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_DRIVER_INDEX,
            "KeyConditionExpression": "driverId = :driver AND promisedStart > :since",
            "ExpressionAttributeValues": {
                ":driver": {"S": driver_id},
                ":since": {"S": iso(since)},
            },
        }
        return [fact_from_item(item) for item in all_items(self._client, **query)]

    def drivers_on_day(self, day: datetime) -> set[str]:
        """Drivers with a delivery promised on that day, from the day index (never a Scan)."""
        return drivers_on_day(self._client, self.table_name, day)

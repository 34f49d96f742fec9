"""Ratings as stored: one item per rating, found per driver through the byDriver index."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

BY_DRIVER_INDEX = "byDriver"


class RatingRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def stars_of_driver(self, driver_id: str) -> list[int]:
        """Every rating's stars for one driver, read from the index page by page."""
        stars: list[int] = []
        query: dict[str, Any] = {
            "IndexName": BY_DRIVER_INDEX,
            "KeyConditionExpression": Key("driverId").eq(driver_id),
            "ProjectionExpression": "stars",
        }
        while True:
            page = self._table.query(**query)
            for item in page["Items"]:
                value = item.get("stars")
                if isinstance(value, Decimal | int):
                    stars.append(int(value))
            if "LastEvaluatedKey" not in page:
                return stars
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

"""Ratings as stored: one item per rating, found per driver through the byDriver index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_DRIVER_INDEX = "byDriver"


class RatingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def stars_of_driver(self, driver_id: str) -> list[int]:
        """Every rating's stars for one driver, read from the index page by page."""
        stars: list[int] = []
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": BY_DRIVER_INDEX,
            "KeyConditionExpression": "driverId = :driver",
            "ExpressionAttributeValues": {":driver": {"S": driver_id}},
            "ProjectionExpression": "stars",
        }
        while True:
            page = self._client.query(**query)
            stars.extend(
                int(item["stars"]["N"]) for item in page["Items"] if "N" in item.get("stars", {})
            )
            if "LastEvaluatedKey" not in page:
                return stars
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

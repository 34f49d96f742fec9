"""The by-day indexes that let the daily recalculation find drivers without a Scan.

Each rating and delivery carries `dayBucket`: its day plus a shard, "2026-11-21#3",
so that one busy day spreads over several index partitions instead of one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.dynamodb.pages import all_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_DAY_INDEX = "byDay"
DAY_SHARDS = 4


def day_bucket(moment: datetime, key: str) -> str:
    return f"{moment.date().isoformat()}#{sum(key.encode()) % DAY_SHARDS}"


def drivers_on_day(client: DynamoDBClient, table_name: str, day: datetime) -> set[str]:
    """The drivers with an item in that day's buckets."""
    drivers: set[str] = set()
    for shard in range(DAY_SHARDS):
        query: dict[str, Any] = {
            "TableName": table_name,
            "IndexName": BY_DAY_INDEX,
            "KeyConditionExpression": "dayBucket = :bucket",
            "ExpressionAttributeValues": {":bucket": {"S": f"{day.date().isoformat()}#{shard}"}},
            "ProjectionExpression": "driverId",
        }
        drivers.update(item["driverId"]["S"] for item in all_items(client, **query))
    return drivers

"""A driver's standing, recomputed from the ratings that are the source of truth.

Recomputing from source, rather than adding each stream record to a running
total, is what makes a redelivered stream batch harmless: the second run
writes the same result as the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from flexfleet.ratings import RatingRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Standing(BaseModel):
    driver_id: str
    rating_count: int
    mean_stars: Decimal | None
    computed_at: datetime


def standing_from_stars(driver_id: str, stars: Iterable[int], now: datetime) -> Standing:
    values = list(stars)
    mean = (
        (Decimal(sum(values)) / len(values)).quantize(Decimal("0.001"), ROUND_HALF_EVEN)
        if values
        else None
    )
    return Standing(driver_id=driver_id, rating_count=len(values), mean_stars=mean, computed_at=now)


class StandingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def save(self, standing: Standing) -> None:
        item: dict[str, Any] = {
            "driverId": {"S": standing.driver_id},
            "ratingCount": {"N": str(standing.rating_count)},
            "computedAt": {"S": standing.computed_at.isoformat()},
        }
        if standing.mean_stars is not None:
            item["meanStars"] = {"N": str(standing.mean_stars)}
        self._client.put_item(TableName=self._table_name, Item=item)

    def get(self, driver_id: str) -> Standing | None:
        item = self._client.get_item(
            TableName=self._table_name, Key={"driverId": {"S": driver_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return Standing(
            driver_id=driver_id,
            rating_count=int(item["ratingCount"]["N"]),
            mean_stars=Decimal(item["meanStars"]["N"]) if "meanStars" in item else None,
            computed_at=datetime.fromisoformat(item["computedAt"]["S"]),
        )


def utc_now() -> datetime:
    return datetime.now(UTC)


class StandingRecompute:
    """Recomputes each driver at most once per stream batch.

    Every record of a batch is already in the table when the batch arrives, so
    one read of the source covers all of a driver's records in that batch.
    """

    def __init__(
        self,
        ratings: RatingRepository,
        standings: StandingRepository,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._ratings = ratings
        self._standings = standings
        self._clock = clock
        self._done: set[str] = set()

    def recompute_standing(self, driver_id: str) -> None:
        if driver_id in self._done:
            return
        standing = standing_from_stars(
            driver_id, self._ratings.stars_of_driver(driver_id), self._clock()
        )
        self._standings.save(standing)
        self._done.add(driver_id)

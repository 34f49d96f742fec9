"""Where standing reads its inputs: the ratings, deliveries and bookings tables, and nothing else
of theirs.

Standing needs what the ratings, deliveries and blocks features record, never their services: this
module is the one place it reads them. It queries their tables' byDriver and byDay indexes,
and reads each item, or each stream image, with the reader those features' own API uses, so
that the stream, the daily sweep and the API agree on what a rating is. An item the API could
not read is reported, and never counts in standing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.repository import booking_from_item
from flexfleet.clock import iso
from flexfleet.deliveries.repository import from_item as delivery_from_item
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.day_index import drivers_on_day
from flexfleet.dynamodb.pages import all_items
from flexfleet.ratings.repository import from_item as rating_from_item
from flexfleet.standing.model import BookingFact, DeliveryFact, RatingFact

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_DRIVER_INDEX = "byDriver"


def rating_source(item: dict[str, Any]) -> tuple[str, RatingFact]:
    """The rated driver and what the model reads of the rating; UnreadableItem if the item
    is not a rating the API could show."""
    rating = rating_from_item(item)
    factors = rating.factors.model_dump(by_alias=True, exclude_none=True) if rating.factors else {}
    return rating.driver_id, RatingFact(
        rating_id=rating.rating_id,
        stars=rating.stars,
        rated_at=rating.rated_at,
        factors=factors,
        tags=frozenset(rating.tags),
        excluded=rating.exclusion is not None,
    )


def delivery_source(item: dict[str, Any]) -> tuple[str, DeliveryFact]:
    """The delivery's driver and what the model reads of it; UnreadableItem if it is not a
    delivery the API could show."""
    delivery = delivery_from_item(item)
    return delivery.driver_id, DeliveryFact(
        delivery_id=delivery.delivery_id,
        promised_start=delivery.promised_window.start,
        promised_end=delivery.promised_window.end,
        delivered_at=delivery.delivered_at,
        outcome=delivery.outcome,
        cause=delivery.cause,
    )


def booking_source(item: dict[str, Any]) -> tuple[str, BookingFact]:
    """The booking's driver and what reliability reads of it; UnreadableItem if it is not a
    booking the API could show."""
    booking = booking_from_item(item)
    return booking.driver_id, BookingFact(
        block_id=booking.block_id,
        start=booking.start,
        status=booking.status,
        late_forfeit=bool(booking.late_forfeit),
    )


def _fact_of_booking(item: dict[str, Any]) -> BookingFact:
    return booking_source(item)[1]


def _fact_of_rating(item: dict[str, Any]) -> RatingFact:
    return rating_source(item)[1]


def _fact_of_delivery(item: dict[str, Any]) -> DeliveryFact:
    return delivery_source(item)[1]


class StandingSources:
    def __init__(
        self,
        client: DynamoDBClient,
        ratings_table_name: str,
        deliveries_table_name: str,
        bookings_table_name: str,
    ) -> None:
        self._client = client
        self._ratings = ratings_table_name
        self._deliveries = deliveries_table_name
        self._bookings = bookings_table_name

    def _of_driver(self, table: str, sort_key: str, driver_id: str, since: datetime) -> Any:
        return all_items(
            self._client,
            TableName=table,
            IndexName=BY_DRIVER_INDEX,
            KeyConditionExpression=f"driverId = :driver AND {sort_key} > :since",
            ExpressionAttributeValues={":driver": {"S": driver_id}, ":since": {"S": iso(since)}},
            # `start` is a reserved word: its key condition names it through #start.
            **({"ExpressionAttributeNames": {"#start": "start"}} if sort_key == "#start" else {}),
        )

    def rating_facts(self, driver_id: str, since: datetime) -> list[RatingFact]:
        """The driver's ratings given after `since`."""
        items = self._of_driver(self._ratings, "ratedAt", driver_id, since)
        return unreadable.read_all(_fact_of_rating, items)

    def delivery_facts(self, driver_id: str, since: datetime) -> list[DeliveryFact]:
        """The driver's deliveries promised after `since`."""
        items = self._of_driver(self._deliveries, "promisedStart", driver_id, since)
        return unreadable.read_all(_fact_of_delivery, items)

    def booking_facts(self, driver_id: str, since: datetime) -> list[BookingFact]:
        """The driver's bookings of blocks that start after `since`."""
        items = self._of_driver(self._bookings, "#start", driver_id, since)
        return unreadable.read_all(_fact_of_booking, items)

    def drivers_rated_on(self, day: datetime) -> set[str]:
        """Drivers rated on that day, from the ratings table's day index (never a Scan)."""
        return drivers_on_day(self._client, self._ratings, day)

    def drivers_delivering_on(self, day: datetime) -> set[str]:
        """Drivers with a delivery promised on that day, from the deliveries' day index."""
        return drivers_on_day(self._client, self._deliveries, day)

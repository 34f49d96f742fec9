"""Ratings in DynamoDB: one item per rating (keyed by its delivery), with its response and dispute.

Indexes: byDriver (newest first, for feedback and standing), byDay (for the daily
recalculation) and byDisputeStatus (sparse: only disputed ratings, for ops).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from flexfleet.api_model import stored_fields
from flexfleet.deliveries.model import Delivery
from flexfleet.deliveries.repository import from_item as delivery_from_item
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.attribute_values import to_item as attribute_item
from flexfleet.dynamodb.cursors import decode_cursor, encode_cursor
from flexfleet.dynamodb.day_index import day_bucket
from flexfleet.dynamodb.pages import batch_get, put_new
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.ratings.config import RATING_RETENTION
from flexfleet.ratings.model import Dispute, DriverResponse, Exclusion, Rating

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE = "ratings"
BY_DRIVER_INDEX = "byDriver"
BY_DISPUTE_STATUS_INDEX = "byDisputeStatus"


def to_item(rating: Rating) -> dict[str, Any]:
    data = rating.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["dayBucket"] = day_bucket(rating.rated_at, rating.driver_id)
    # DynamoDB's TTL wants epoch seconds.
    data["purgeAt"] = int((rating.rated_at + RATING_RETENTION).timestamp())
    return attribute_item(data)


def from_item(item: dict[str, Any]) -> Rating:
    """A rating from its item (or its stream image); UnreadableItem if it is not one the API
    could show. The standing stream reads items through this too, so both agree."""
    try:
        data = plain_item(item)
        for name in ("dayBucket", "disputeStatus", "disputeOpenedAt", "purgeAt"):
            data.pop(name, None)
        return Rating.model_validate(stored_fields(Rating, _plain(data)))
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        key = {"ratingId": item.get("ratingId")}
        raise UnreadableItem(TABLE, key, str(exc).replace("\n", "; ")) from exc


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models want ints."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if type(value).__name__ == "Decimal":
        return int(value) if value == int(value) else float(value)
    return value


class RatingExists(Exception):
    def __init__(self, existing: Rating | None) -> None:
        super().__init__("taken")
        self.existing = existing  # None when the stored one cannot be read


class RatingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, deliveries_table_name: str) -> None:
        self._client = client
        self.table_name = table_name
        self._deliveries_table_name = deliveries_table_name

    # ------------------------------------------------------------ ratings
    def delivery_and_rating(self, delivery_id: str) -> tuple[Delivery | None, Rating | None]:
        """A delivery and its rating, in one BatchGetItem."""
        found = batch_get(
            self._client,
            {
                self._deliveries_table_name: [{"deliveryId": {"S": delivery_id}}],
                self.table_name: [{"ratingId": {"S": delivery_id}}],
            },
        )
        deliveries = found.get(self._deliveries_table_name) or []
        ratings = found.get(self.table_name) or []
        return (
            unreadable.read(delivery_from_item, deliveries[0]) if deliveries else None,
            unreadable.read(from_item, ratings[0]) if ratings else None,
        )

    def add(self, rating: Rating) -> None:
        stored = put_new(self._client, self.table_name, to_item(rating), "ratingId")
        if stored is not None:
            raise RatingExists(unreadable.read(from_item, stored))

    def get(self, rating_id: str) -> Rating | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"ratingId": {"S": rating_id}}
        ).get("Item")
        return unreadable.read(from_item, item) if item else None

    def page_of_driver(
        self, driver_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Rating], str | None]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_DRIVER_INDEX,
            "KeyConditionExpression": "driverId = :driver",
            "ExpressionAttributeValues": {":driver": {"S": driver_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(
            cursor,
            key_names={"ratingId", "driverId", "ratedAt"},
            must_match={"driverId": driver_id},
        )
        if start:
            query["ExclusiveStartKey"] = start
        page = self._client.query(**query)
        ratings = unreadable.read_all(from_item, page["Items"])
        return ratings, encode_cursor(page.get("LastEvaluatedKey"))

    # ------------------------------------------------ responses and disputes
    def _update(
        self, rating_id: str, condition: str, values: dict[str, Any], **update: Any
    ) -> Rating | None:
        """An UpdateItem on one rating: the new rating, or None when its condition failed. (The
        services read a rating, and so check it can be read, before they update it.)"""
        try:
            result = self._client.update_item(
                TableName=self.table_name,
                Key={"ratingId": {"S": rating_id}},
                ReturnValues="ALL_NEW",
                ConditionExpression=condition,
                ExpressionAttributeValues=attribute_item(values),
                **update,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return unreadable.read(from_item, result["Attributes"])

    def set_response(
        self, rating_id: str, driver_id: str, response: DriverResponse
    ) -> Rating | None:
        """Sets the driver's response, if the rating is theirs; None otherwise."""
        return self._update(
            rating_id,
            "driverId = :driver",
            {":response": response.model_dump(mode="json", by_alias=True), ":driver": driver_id},
            UpdateExpression="SET #response = :response",
            ExpressionAttributeNames={"#response": "response"},
        )

    def open_dispute(self, dispute: Dispute) -> Rating | None:
        """Opens the rating's one dispute, if the rating is the driver's and has none; else None."""
        return self._update(
            dispute.rating_id,
            "driverId = :driver AND attribute_not_exists(dispute)",
            {
                ":dispute": dispute.model_dump(mode="json", by_alias=True, exclude_none=True),
                ":status": dispute.status,
                ":opened": dispute.opened_at.isoformat(),
                ":driver": dispute.driver_id,
            },
            UpdateExpression=(
                "SET dispute = :dispute, disputeStatus = :status, disputeOpenedAt = :opened"
            ),
        )

    def close_dispute(self, decided: Dispute, exclusion: Exclusion | None) -> Rating | None:
        """Records the decision on an open dispute, and the exclusion if upheld; else None."""
        sets = "dispute = :dispute, disputeStatus = :status"
        values: dict[str, Any] = {
            ":dispute": decided.model_dump(mode="json", by_alias=True, exclude_none=True),
            ":status": decided.status,
            ":open": "open",
        }
        if exclusion is not None:
            sets += ", exclusion = :exclusion"
            values[":exclusion"] = exclusion.model_dump(mode="json", by_alias=True)
        return self._update(
            decided.rating_id, "disputeStatus = :open", values, UpdateExpression=f"SET {sets}"
        )

    def page_of_disputes(
        self, status: str, limit: int, cursor: str | None
    ) -> tuple[list[Dispute], str | None]:
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_DISPUTE_STATUS_INDEX,
            "KeyConditionExpression": "disputeStatus = :status",
            "ExpressionAttributeValues": {":status": {"S": status}},
            "Limit": limit,
        }
        start = decode_cursor(
            cursor,
            key_names={"ratingId", "disputeStatus", "disputeOpenedAt"},
            must_match={"disputeStatus": status},
        )
        if start:
            query["ExclusiveStartKey"] = start
        page = self._client.query(**query)
        ratings = unreadable.read_all(from_item, page["Items"])
        disputes = [rating.dispute for rating in ratings if rating.dispute is not None]
        return disputes, encode_cursor(page.get("LastEvaluatedKey"))

"""Malls and retailers in DynamoDB: one item each, keyed by its id; every mall also in the one
partition of the byCatalogue index, which lists the catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.models import model_item, read_model
from flexfleet.dynamodb.pages import all_items, put_new
from flexfleet.malls.model import Mall, Retailer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


CATALOGUE = "malls"  # the one partition of the byCatalogue index


def mall_item(mall: Mall) -> dict[str, Any]:
    return model_item(mall, catalogue=CATALOGUE)


def mall_from_item(item: dict[str, Any]) -> Mall:
    return read_model(Mall, item, "malls", "mallId")


def retailer_from_item(item: dict[str, Any]) -> Retailer:
    return read_model(Retailer, item, "retailers", "retailerId")


class MallRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def all(self) -> list[Mall]:
        """The whole catalogue, by id: one partition of the byCatalogue index, never a Scan."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName="byCatalogue",
            KeyConditionExpression="catalogue = :malls",
            ExpressionAttributeValues={":malls": {"S": CATALOGUE}},
        )
        return unreadable.read_all(mall_from_item, items)

    def get(self, mall_id: str) -> Mall | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"mallId": {"S": mall_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(mall_from_item, item) if item else None

    def put(self, mall: Mall) -> bool:
        """Stores the mall; whether it is new."""
        old = self._client.put_item(
            TableName=self.table_name, Item=mall_item(mall), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return not old

    def add_if_absent(self, mall: Mall) -> bool:
        """Stores the mall unless one has its id (ops may have changed it); whether it did."""
        return put_new(self._client, self.table_name, mall_item(mall), "mallId") is None


class RetailerRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def get(self, retailer_id: str) -> Retailer | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"retailerId": {"S": retailer_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(retailer_from_item, item) if item else None

    def put(self, retailer: Retailer) -> bool:
        """Stores the retailer; whether it is new."""
        old = self._client.put_item(
            TableName=self.table_name, Item=model_item(retailer), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return not old

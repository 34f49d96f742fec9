"""Malls and retailers in DynamoDB: one item each, keyed by its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.models import model_item, read_model
from flexfleet.malls.model import Mall, Retailer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def mall_from_item(item: dict[str, Any]) -> Mall:
    return read_model(Mall, item, "malls", "mallId")


def retailer_from_item(item: dict[str, Any]) -> Retailer:
    return read_model(Retailer, item, "retailers", "retailerId")


class MallRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def all(self) -> list[Mall]:
        """The whole catalogue: a few dozen malls at most, read in one or two pages."""
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {"TableName": self.table_name}
        while True:
            page = self._client.scan(**query)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        malls = unreadable.read_all(mall_from_item, items)
        return sorted(malls, key=lambda mall: mall.mall_id)

    def get(self, mall_id: str) -> Mall | None:
        item = self._client.get_item(
            TableName=self.table_name, Key={"mallId": {"S": mall_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(mall_from_item, item) if item else None

    def put(self, mall: Mall) -> bool:
        """Stores the mall; whether it is new."""
        old = self._client.put_item(
            TableName=self.table_name, Item=model_item(mall), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return not old

    def add_if_absent(self, mall: Mall) -> bool:
        """Stores the mall unless one has its id (ops may have changed it); whether it did."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item=model_item(mall),
                ConditionExpression="attribute_not_exists(mallId)",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True


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

"""The DynamoDB calls every repository makes alike: a query read to its last page, a batch read of
keys (and of many items by a one-attribute key), and a put that only creates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flexfleet.dynamodb.attribute_values import from_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def all_items(client: DynamoDBClient, **query: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query returns, page after page."""
    while True:
        page = client.query(**query)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def batch_get(
    client: DynamoDBClient, keys_by_table: dict[str, list[dict[str, Any]]], consistent: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """Every item a BatchGetItem of these keys finds, by table, retrying what DynamoDB leaves
    unprocessed. At most 100 keys in all: callers split larger reads."""
    request: dict[str, Any] = {
        table: {"Keys": keys, "ConsistentRead": consistent}
        for table, keys in keys_by_table.items()
        if keys
    }
    found: dict[str, list[dict[str, Any]]] = {}
    while request:
        page = client.batch_get_item(RequestItems=request)
        for table, items in page["Responses"].items():
            found.setdefault(table, []).extend(items)
        request = dict(page.get("UnprocessedKeys") or {})
    return found


def items_of_keys(
    client: DynamoDBClient, table: str, key: str, values: list[str], consistent: bool = False
) -> list[dict[str, Any]]:
    """The items of a table whose one-attribute string key is one of `values` (each asked for
    once), 100 keys a request; a key with no item is left out."""
    unique = sorted(set(values))
    found: list[dict[str, Any]] = []
    for first in range(0, len(unique), 100):
        keys = [{key: {"S": value}} for value in unique[first : first + 100]]
        found += batch_get(client, {table: keys}, consistent).get(table, [])
    return found


def items_by_key(
    client: DynamoDBClient, table: str, key: str, values: list[str]
) -> dict[str, dict[str, Any]]:
    """The items of `items_of_keys`, as plain values by key."""
    return {item[key]["S"]: from_item(item) for item in items_of_keys(client, table, key, values)}


def put_new(
    client: DynamoDBClient, table_name: str, item: dict[str, Any], key: str
) -> dict[str, Any] | None:
    """Puts the item unless its key is taken; then the stored item, read in the same request."""
    try:
        client.put_item(
            TableName=table_name,
            Item=item,
            ConditionExpression=f"attribute_not_exists({key})",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as exc:
        stored: dict[str, Any] = exc.response["Item"]  # type: ignore[typeddict-item]
        return stored
    return None

"""The live WebSocket connections in DynamoDB: one item per connection, found by user on the
byUser index. An item lives until $disconnect deletes it, a push finds the connection gone (410),
or its TTL (expiresAt, the longest a connection can last) passes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flexfleet.clock import iso
from flexfleet.dynamodb.pages import all_items
from flexfleet.realtime import config
from flexfleet.realtime.model import Connection

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_USER_INDEX = "byUser"


class ConnectionRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self.table_name = table_name

    def add(self, connection: Connection, connected_at: datetime) -> None:
        """Records a connection. API Gateway never reuses a connection id, and a retried $connect
        writes the same item: a plain put is idempotent."""
        expires = connected_at + config.CONNECTION_LIFETIME
        self._client.put_item(
            TableName=self.table_name,
            Item={
                "connectionId": {"S": connection.connection_id},
                "userId": {"S": connection.user_id},
                "groups": {"L": [{"S": g} for g in sorted(connection.groups)]},
                "connectedAt": {"S": iso(connected_at)},
                # DynamoDB's TTL wants epoch seconds.
                "expiresAt": {"N": str(int(expires.timestamp()))},
            },
        )

    def remove(self, connection_id: str) -> None:
        """Forgets a connection; one already gone is no error."""
        self._client.delete_item(
            TableName=self.table_name, Key={"connectionId": {"S": connection_id}}
        )

    def of_user(self, user_id: str) -> list[Connection]:
        """The user's connections: one query on byUser. One past its lifetime that TTL has not
        deleted yet is among them; a push to it finds it gone (410) and removes it."""
        items = all_items(
            self._client,
            TableName=self.table_name,
            IndexName=BY_USER_INDEX,
            KeyConditionExpression="userId = :user",
            ExpressionAttributeValues={":user": {"S": user_id}},
        )
        return [
            Connection(
                connection_id=item["connectionId"]["S"],
                user_id=item["userId"]["S"],
                groups=frozenset(g["S"] for g in item.get("groups", {}).get("L", [])),
            )
            for item in items
        ]

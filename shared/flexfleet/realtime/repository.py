"""The live WebSocket connections in DynamoDB: one item per connection, found by user on the
byUser index. An item lives until $disconnect deletes it, a push finds the connection gone (410),
or its TTL (expiresAt: its token's expiry, or the longest a connection can last) passes.

DynamoDB's TTL deletes an expired item when it gets to it, up to days later, so reads leave
expired items out themselves, on the injected clock: a connection whose token has expired is
no longer pushed to, though API Gateway may keep the socket open until its two hours are up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flexfleet.clock import Clock, iso, utc_now
from flexfleet.dynamodb.pages import all_items
from flexfleet.realtime.model import Connection

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_USER_INDEX = "byUser"


class ConnectionRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, clock: Clock = utc_now) -> None:
        self._client = client
        self.table_name = table_name
        self._clock = clock

    def add(self, connection: Connection) -> None:
        """Records a connection. API Gateway never reuses a connection id, and a retried $connect
        writes the same item: a plain put is idempotent."""
        self._client.put_item(
            TableName=self.table_name,
            Item={
                "connectionId": {"S": connection.connection_id},
                "userId": {"S": connection.user_id},
                "groups": {"L": [{"S": g} for g in sorted(connection.groups)]},
                "connectedAt": {"S": iso(connection.connected_at)},
                # DynamoDB's TTL wants epoch seconds.
                "expiresAt": {"N": str(int(connection.expires_at.timestamp()))},
            },
        )

    def remove(self, connection_id: str) -> None:
        """Forgets a connection; one already gone is no error."""
        self._client.delete_item(
            TableName=self.table_name, Key={"connectionId": {"S": connection_id}}
        )

    def live_count(self, user_id: str) -> int:
        """How many unexpired connections the user has: of_user's one query, counted (a user
        holds a handful of small items at most, as $connect caps them)."""
        return len(self.of_user(user_id))

    def of_user(self, user_id: str) -> list[Connection]:
        """The user's unexpired connections: one query on byUser, those whose expiresAt has
        passed left out (filtered by DynamoDB, read and paid for all the same)."""
        items = all_items(self._client, **self._unexpired_of(user_id))
        return [_connection(item) for item in items]

    def _unexpired_of(self, user_id: str) -> dict[str, Any]:
        """The query of a user's connections whose expiresAt (epoch seconds) is still ahead."""
        return {
            "TableName": self.table_name,
            "IndexName": BY_USER_INDEX,
            "KeyConditionExpression": "userId = :user",
            "FilterExpression": "expiresAt > :now",
            "ExpressionAttributeValues": {
                ":user": {"S": user_id},
                ":now": {"N": str(int(self._clock().timestamp()))},
            },
        }


def _connection(item: dict[str, Any]) -> Connection:
    return Connection(
        connection_id=item["connectionId"]["S"],
        user_id=item["userId"]["S"],
        groups=frozenset(g["S"] for g in item.get("groups", {}).get("L", [])),
        connected_at=datetime.fromisoformat(item["connectedAt"]["S"]),
        expires_at=datetime.fromtimestamp(int(item["expiresAt"]["N"]), UTC),
    )

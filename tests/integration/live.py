"""Live updates over moto: the connections table and the other tables as template.yaml declares
them, their streams read as Lambda delivers them, and the @connections management API stubbed at
the boto3 client with botocore's Stubber (moto records posts but never answers 410)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from flexfleet.dynamodb.streams import StreamRecord
from flexfleet.realtime.management_api import ManagementApi
from flexfleet.realtime.model import Connection
from flexfleet.realtime.notifier import Notifier
from flexfleet.realtime.repository import ConnectionRepository
from flexfleet.realtime.service import Connections
from flexfleet.realtime.sources import NotifierSources
from flexfleet.standing.repository import HistoryRepository
from flexfleet.standing.review import driver_standing
from flexfleet.standing.service import HistoryWriter
from infra.local_runtime.stack import Stack
from tests.factories import stream_event_from_table
from tests.integration.conftest import World

ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/live"
NOTIFIED = {
    "RatingsTable": "ratings",
    "StandingHistoryTable": "standingHistory",
    "BlocksTable": "blocks",
    "ReservedOffersTable": "reservedOffers",
    "InstantOffersTable": "instantOffers",
    "OrdersTable": "orders",
}


class Sockets:
    """The management API's client, stubbed: each post answers as queued (ok, or 410 gone), and
    every frame posted is kept by connection."""

    def __init__(self) -> None:
        self.client = boto3.client("apigatewaymanagementapi", endpoint_url=ENDPOINT)
        self.stubber = Stubber(self.client)
        self.posted: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.client.meta.events.register(
            "provide-client-params.apigatewaymanagementapi.PostToConnection", self._record
        )
        self.stubber.activate()

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.posted[params["ConnectionId"]].append(json.loads(params["Data"]))

    def expect(self, *outcomes: str) -> None:
        """The answers of the next posts, in order: "ok", "gone" (410 GoneException),
        "throttled" (429 LimitExceededException) or "unavailable" (a 500)."""
        errors = {
            "gone": ("GoneException", 410),
            "throttled": ("LimitExceededException", 429),
            "unavailable": ("InternalServerError", 500),
        }
        for outcome in outcomes:
            if outcome in errors:
                code, status = errors[outcome]
                self.stubber.add_client_error(
                    "post_to_connection", service_error_code=code, http_status_code=status
                )
            else:
                self.stubber.add_response("post_to_connection", {})

    def frames(self, connection_id: str) -> list[dict[str, Any]]:
        return self.posted.get(connection_id, [])

    def types(self, connection_id: str) -> list[str]:
        return [frame["type"] for frame in self.frames(connection_id)]

    def done(self) -> None:
        self.stubber.assert_no_pending_responses()


class Streams:
    """Each table's stream read from where the last read stopped, as one Lambda event."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = boto3.client("dynamodbstreams")
        self.read: dict[str, int] = defaultdict(int)

    def all(self, table: str) -> list[dict[str, Any]]:
        arn = self.stack.get_att(table, "StreamArn")
        stream = self.client.describe_stream(StreamArn=arn)["StreamDescription"]
        records: list[dict[str, Any]] = []
        for shard in stream["Shards"]:
            iterator = self.client.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            page = self.client.get_records(ShardIterator=iterator, Limit=1000)["Records"]
            records += [dict(record) for record in page]
        return records

    def new(self, table: str) -> dict[str, Any]:
        records = self.all(table)
        fresh = records[self.read[table] :]
        self.read[table] = len(records)
        arn = self.stack.get_att(table, "StreamArn")
        return stream_event_from_table(fresh, arn)

    def skip(self, *tables: str) -> None:
        for table in tables:
            self.new(table)


class Live:
    """The notifier, the WebSocket routes and the history writer over the world's moto tables."""

    def __init__(self, world: World, stack: Stack) -> None:
        self.world = world
        self.stack = stack
        self.sockets = Sockets()
        self.streams = Streams(stack)
        self.connections = ConnectionRepository(
            world.client, stack.table_name("ConnectionsTable"), lambda: world.now
        )
        self.posting = ManagementApi(lambda: self.sockets.client)
        self.routes = Connections(self.connections, self.posting, lambda: world.now)
        self.history = HistoryRepository(world.client, stack.table_name("StandingHistoryTable"))
        self.sources = NotifierSources(
            world.client,
            stack.table_name("DriversTable"),
            stack.table_name("StandingTable"),
            stack.table_name("BlocksTable"),
        )

    def notifier(self) -> Notifier:
        tables = {self.stack.table_name(table): kind for table, kind in NOTIFIED.items()}
        return Notifier(
            tables,
            self.sources,
            self.connections,
            self.posting,
            driver_standing,
            lambda: self.world.now,
        )

    def writer(self) -> HistoryWriter:
        return HistoryWriter(self.history, lambda: self.world.now)

    def connect(
        self, connection_id: str, user_id: str, *groups: str, token_exp: datetime | None = None
    ) -> Connection:
        """Connects as the REQUEST authorizer lets a token in; its exp, when given, as the
        authorizer's context carries it."""
        authorizer = {"principalId": user_id, "sub": user_id, "groups": " ".join(groups)}
        if token_exp is not None:
            authorizer["exp"] = str(int(token_exp.timestamp()))
        return self.routes.connect(connection_id, authorizer)

    def stored(self, connection_id: str) -> dict[str, Any] | None:
        item = self.world.client.get_item(
            TableName=self.stack.table_name("ConnectionsTable"),
            Key={"connectionId": {"S": connection_id}},
        ).get("Item")
        return item

    def notify(self, table: str, notifier: Notifier | None = None) -> list[Any]:
        """Runs the notifier on what the table's stream holds since it was last read; the
        messages each record made."""
        notifier = notifier or self.notifier()
        return [
            notifier.handle_record(StreamRecord.model_validate(record))
            for record in self.streams.new(table)["Records"]
        ]

    def write_history(self) -> HistoryWriter:
        """Runs the history writer on the standing stream's new records."""
        writer = self.writer()
        for record in self.streams.new("StandingTable")["Records"]:
            writer.handle_record(StreamRecord.model_validate(record))
        return writer

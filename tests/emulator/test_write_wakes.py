"""A DynamoDB write served by the runtime's moto wakes the stream pollers of the tables it names.

Waking every poller on every write made most of moto's requests under load GetRecords that
found nothing; these tests send real boto3 requests through the server and check what it
reports, and that moto still gets each body whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.moto_api._internal.models import moto_api_backend

from infra.local_runtime.runtime import MotoServer, Tables, written_tables

A, B = "wakes-A", "wakes-B"


@pytest.fixture
def served() -> Iterator[tuple[Any, list[Tables]]]:
    woken: list[Tables] = []
    lock = threading.Lock()

    def on_write(tables: Tables) -> None:
        with lock:
            woken.append(tables)

    server = MotoServer("127.0.0.1", 0, on_write=on_write)
    server.start()
    client = boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1")
    try:
        for name in (A, B):
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client, woken
    finally:
        server.stop()
        moto_api_backend.reset()  # moto's state is the process's: leave none to other tests


def _item(key: str) -> dict[str, Any]:
    return {"id": {"S": key}, "n": {"N": "1"}}


def test_each_write_names_its_tables_and_moto_still_reads_the_body(
    served: tuple[Any, list[Tables]],
) -> None:
    client, woken = served
    client.put_item(TableName=A, Item=_item("p"))
    client.update_item(
        TableName=B,
        Key={"id": {"S": "u"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    arn = client.describe_table(TableName=A)["Table"]["TableArn"]
    client.delete_item(TableName=arn, Key={"id": {"S": "p"}})
    client.batch_write_item(RequestItems={B: [{"PutRequest": {"Item": _item("b")}}]})
    bump = {
        "TableName": B,
        "Key": {"id": {"S": "u"}},
        "UpdateExpression": "SET n = :n",
        "ExpressionAttributeValues": {":n": {"N": "3"}},
    }
    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": A, "Item": _item("t")}}, {"Update": bump}]
    )
    client.execute_statement(Statement=f"INSERT INTO \"{A}\" VALUE {{'id': 'q', 'n': 1}}")
    client.get_item(TableName=A, Key={"id": {"S": "t"}})  # a read wakes nobody

    assert woken == [
        frozenset({A}),
        frozenset({B}),
        frozenset({A}),  # named by its ARN
        frozenset({B}),
        frozenset({A, B}),
        None,  # PartiQL: every poller
    ]
    # Each request reached moto whole: the writes are all there.
    assert client.get_item(TableName=A, Key={"id": {"S": "p"}}).get("Item") is None
    assert client.get_item(TableName=A, Key={"id": {"S": "t"}})["Item"] == _item("t")
    assert client.get_item(TableName=A, Key={"id": {"S": "q"}})["Item"] == _item("q")
    assert client.get_item(TableName=B, Key={"id": {"S": "b"}})["Item"] == _item("b")
    assert client.get_item(TableName=B, Key={"id": {"S": "u"}})["Item"]["n"] == {"N": "3"}


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("PutItem", b"not json"),
        ("PutItem", b"{}"),
        ("BatchWriteItem", b'{"RequestItems": []}'),
        ("TransactWriteItems", b'{"TransactItems": [{}]}'),
        ("TransactWriteItems", b'{"TransactItems": "x"}'),
        ("PutItem", b"[" * 100_000),
    ],
)
def test_a_body_that_names_no_table_is_told_as_none_to_wake_every_poller(
    operation: str, body: bytes
) -> None:
    assert written_tables(operation, body) is None

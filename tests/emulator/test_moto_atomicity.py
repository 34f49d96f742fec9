"""The runtime's moto makes each conditional write and each transaction atomic, as DynamoDB does.

moto's server answers on many threads and takes no lock between a condition's check and its
write, and a refused transaction puts back a copy of every table it touched, over what others
wrote meanwhile. Each of these tests is a race that loses updates on moto unserialised.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_api._internal.models import moto_api_backend

from infra.local_runtime.runtime import MotoServer

THREADS = 8
ATTEMPTS = 20  # per thread
TABLE = "atomicity-Counters"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    server = MotoServer("127.0.0.1", 0)
    server.start()
    client = boto3.client(
        "dynamodb",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=Config(max_pool_connections=THREADS, retries={"max_attempts": 1}),
    )
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=TABLE, Item={"id": {"S": "n"}, "n": {"N": "0"}})
    # The server runs on threads of this process: switching between them far more often than
    # Python's 5 ms makes a race that is there show itself within a few hundred requests.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield client
    finally:
        sys.setswitchinterval(interval)
        server.stop()
        moto_api_backend.reset()  # moto's state is the process's: leave none to other tests


def _read(client: Any) -> int:
    item = client.get_item(TableName=TABLE, Key={"id": {"S": "n"}}, ConsistentRead=True)["Item"]
    return int(item["n"]["N"])


def _increment(seen: int) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": {"id": {"S": "n"}},
        "UpdateExpression": "SET n = n + :one",
        "ConditionExpression": "n = :seen",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":seen": {"N": str(seen)}},
    }


def _race(client: Any, write: Any) -> int:
    """THREADS threads each read n and try to increment it ATTEMPTS times: the successes."""

    def attempts() -> int:
        won = 0
        for _ in range(ATTEMPTS):
            try:
                write(_read(client))
            except ClientError as refused:
                code = refused.response["Error"]["Code"]
                assert code in ("ConditionalCheckFailedException", "TransactionCanceledException")
            else:
                won += 1
        return won

    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(lambda _: attempts(), range(THREADS)))


def test_concurrent_conditional_increments_lose_no_update(dynamodb: Any) -> None:
    successes = _race(dynamodb, lambda seen: dynamodb.update_item(**_increment(seen)))

    assert successes > 0
    assert _read(dynamodb) == successes


def test_concurrent_transactions_lose_no_update_and_a_refused_one_undoes_only_itself(
    dynamodb: Any,
) -> None:
    successes = _race(
        dynamodb,
        lambda seen: dynamodb.transact_write_items(TransactItems=[{"Update": _increment(seen)}]),
    )

    assert successes > 0
    assert _read(dynamodb) == successes

"""The local DynamoDB event source mapping behaves as Lambda documents it.

Each test writes records to the ratings table's real (moto) stream, then drives
one shard poller step by step with a scripted function in place of a sandbox.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
)

from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack
from infra.local_runtime.streams import ShardPoller, StreamMapping, shard_ids

FAILED = {"errorType": "ValueError", "errorMessage": "poison"}


class ScriptedFunction:
    """Answers each batch with what `answer` says about its ratingIds, and remembers every batch."""

    def __init__(self, answer: Callable[[list[str], list[str]], Any]) -> None:
        self.answer = answer
        self.batches: list[list[str]] = []

    def __call__(self, function_id: str, event: dict[str, Any], trigger: str) -> Invocation:
        ids = [r["dynamodb"]["Keys"]["ratingId"]["S"] for r in event["Records"]]
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(ids)
        result = self.answer(ids, sequences)
        if result is FAILED:
            return Invocation(function_id, f"req-{len(self.batches)}", None, FAILED, 1.0, False)
        return Invocation(function_id, f"req-{len(self.batches)}", result, None, 1.0, False)


def write_ratings(stack: Stack, count: int) -> None:
    table = boto3.resource("dynamodb").Table(stack.table_name("RatingsTable"))
    for n in range(1, count + 1):
        table.put_item(
            Item={"ratingId": f"r{n}", "driverId": "d-1", "ratedAt": f"t{n:04}", "stars": 5}
        )


def poller_for(
    stack: Stack,
    function: ScriptedFunction,
    clock: Callable[[], float] = time.time,
    **overrides: Any,
) -> ShardPoller:
    event = next(
        e
        for e in stack.template.event_sources("DynamoDB")
        if e.function_id == "StandingStreamFunction"
    )
    mapping = dataclasses.replace(StreamMapping.from_event(stack, event), **overrides)
    streams = boto3.client("dynamodbstreams")
    poller = ShardPoller(
        mapping=mapping,
        shard_id=shard_ids(streams, mapping.stream_arn)[0],
        streams=streams,
        sqs=boto3.client("sqs"),
        invoke=function,
        region=stack.region,
        clock=clock,
        retry_backoff=(0.0, 0.0),
    )
    poller.open()
    return poller


def run_until_quiet(poller: ShardPoller, limit: int = 200) -> None:
    for _ in range(limit):
        if not poller.step():
            return
    raise AssertionError("the poller never went quiet")


def on_failure_messages(stack: Stack) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = stack.ref("StreamFailureQueue")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_the_template_mapping_is_read_with_every_error_handling_setting(aws: Stack) -> None:
    poller = poller_for(aws, ScriptedFunction(lambda ids, seqs: None))

    assert poller.mapping.report_batch_item_failures
    assert poller.mapping.bisect_on_error
    assert poller.mapping.maximum_retry_attempts == 5
    assert poller.mapping.maximum_record_age_seconds == 3600
    assert poller.mapping.on_failure_queue_url == aws.ref("StreamFailureQueue")


def test_batches_hold_at_most_batch_size_records_in_stream_order(aws: Stack) -> None:
    write_ratings(aws, 7)
    function = ScriptedFunction(lambda ids, seqs: None)
    poller = poller_for(aws, function, batch_size=3)

    run_until_quiet(poller)

    assert function.batches == [["r1", "r2", "r3"], ["r4", "r5", "r6"], ["r7"]]


def test_a_partial_failure_moves_the_checkpoint_to_the_lowest_failed_record(aws: Stack) -> None:
    write_ratings(aws, 5)
    failed_once: set[str] = set()

    def fail_r4_and_r3_once(ids: list[str], seqs: list[str]) -> Any:
        failures = [
            s for i, s in zip(ids, seqs, strict=True) if i in ("r3", "r4") and i not in failed_once
        ]
        failed_once.update(i for i in ids if i in ("r3", "r4"))
        return {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(failures)]}

    function = ScriptedFunction(fail_r4_and_r3_once)
    poller = poller_for(aws, function, bisect_on_error=False)

    run_until_quiet(poller)

    assert function.batches == [["r1", "r2", "r3", "r4", "r5"], ["r3", "r4", "r5"]]
    assert on_failure_messages(aws) == []


def test_an_invalid_item_identifier_retries_the_whole_batch(aws: Stack) -> None:
    write_ratings(aws, 2)
    answers = iter([{"batchItemFailures": [{"itemIdentifier": ""}]}, None])
    function = ScriptedFunction(lambda ids, seqs: next(answers))
    poller = poller_for(aws, function, bisect_on_error=False)

    run_until_quiet(poller)

    assert function.batches == [["r1", "r2"], ["r1", "r2"]]


def test_bisect_isolates_a_poison_record_and_the_shard_moves_on(aws: Stack) -> None:
    write_ratings(aws, 4)
    function = ScriptedFunction(lambda ids, seqs: FAILED if "r3" in ids else None)
    poller = poller_for(aws, function, maximum_retry_attempts=2)

    run_until_quiet(poller)

    assert function.batches == [
        ["r1", "r2", "r3", "r4"],  # fails: split in two, which is no retry
        ["r1", "r2"],
        ["r3", "r4"],  # fails: split again
        ["r3"],  # the first try ...
        ["r3"],  # ... and two retries
        ["r3"],
        ["r4"],
    ]
    [message] = on_failure_messages(aws)
    info = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(message)
    assert info.request_context.condition == "RetryAttemptsExhausted"
    assert info.request_context.approximate_invoke_count == 3
    assert info.response_context.function_error == "Unhandled"
    assert info.ddb_stream_batch_info.batch_size == 1
    assert (
        info.ddb_stream_batch_info.start_sequence_number
        == info.ddb_stream_batch_info.end_sequence_number
    )
    assert info.ddb_stream_batch_info.stream_arn == poller.mapping.stream_arn


def test_with_bisect_a_partial_failure_retries_only_the_rest_of_the_batch(aws: Stack) -> None:
    write_ratings(aws, 6)
    fails = iter([True, False])

    def fail_r2_once(ids: list[str], seqs: list[str]) -> Any:
        if "r2" in ids and next(fails):
            return {"batchItemFailures": [{"itemIdentifier": seqs[ids.index("r2")]}]}
        return None

    function = ScriptedFunction(fail_r2_once)
    poller = poller_for(aws, function, batch_size=4)

    run_until_quiet(poller)

    assert function.batches == [["r1", "r2", "r3", "r4"], ["r2", "r3", "r4"], ["r5", "r6"]]


def test_exhausted_retries_send_the_batch_to_the_on_failure_queue(aws: Stack) -> None:
    write_ratings(aws, 2)
    function = ScriptedFunction(lambda ids, seqs: FAILED if "r1" in ids else None)
    poller = poller_for(aws, function, bisect_on_error=False, maximum_retry_attempts=1)

    run_until_quiet(poller)
    write_ratings_after = boto3.resource("dynamodb").Table(aws.table_name("RatingsTable"))
    write_ratings_after.put_item(
        Item={"ratingId": "r9", "driverId": "d-1", "ratedAt": "t9", "stars": 4}
    )
    run_until_quiet(poller)

    assert function.batches == [["r1", "r2"], ["r1", "r2"], ["r9"]]
    [message] = on_failure_messages(aws)
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 2
    assert message["DDBStreamBatchInfo"]["batchSize"] == 2
    assert message["version"] == "1.0"


def test_a_record_older_than_the_maximum_age_is_dropped_without_an_invocation(aws: Stack) -> None:
    write_ratings(aws, 2)
    function = ScriptedFunction(lambda ids, seqs: None)
    an_hour_and_a_minute_later = time.time() + 3660
    poller = poller_for(aws, function, clock=lambda: an_hour_and_a_minute_later)

    run_until_quiet(poller)

    assert function.batches == []
    [message] = on_failure_messages(aws)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["DDBStreamBatchInfo"]["batchSize"] == 2


def test_infinite_retries_keep_the_shard_on_the_failed_batch(aws: Stack) -> None:
    write_ratings(aws, 2)
    function = ScriptedFunction(lambda ids, seqs: FAILED)
    poller = poller_for(aws, function, bisect_on_error=False, maximum_retry_attempts=-1)

    for _ in range(6):
        poller.step()

    assert function.batches == [["r1", "r2"]] * 6
    assert on_failure_messages(aws) == []


def test_a_batching_window_waits_for_a_full_batch_or_for_the_window_to_pass(aws: Stack) -> None:
    write_ratings(aws, 2)
    now = [time.time()]
    function = ScriptedFunction(lambda ids, seqs: None)
    poller = poller_for(
        aws, function, clock=lambda: now[0], batch_size=3, batching_window_seconds=5
    )

    waited = poller.step()
    now[0] += 6
    ran = poller.step()

    assert (waited, ran) == (False, True)
    assert function.batches == [["r1", "r2"]]


def test_a_full_batch_does_not_wait_for_the_window(aws: Stack) -> None:
    write_ratings(aws, 3)
    function = ScriptedFunction(lambda ids, seqs: None)
    poller = poller_for(aws, function, batch_size=3, batching_window_seconds=300)

    assert poller.step()
    assert function.batches == [["r1", "r2", "r3"]]


def test_latest_starts_after_the_records_already_in_the_stream(aws: Stack) -> None:
    write_ratings(aws, 2)
    function = ScriptedFunction(lambda ids, seqs: None)
    poller = poller_for(aws, function, starting_position="LATEST")
    boto3.resource("dynamodb").Table(aws.table_name("RatingsTable")).put_item(
        Item={"ratingId": "r3", "driverId": "d-1", "ratedAt": "t3", "stars": 5}
    )

    run_until_quiet(poller)

    assert function.batches == [["r3"]]

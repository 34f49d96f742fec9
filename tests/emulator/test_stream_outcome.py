"""How the stream poller reads a function's answer to a batch (ReportBatchItemFailures)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infra.local_runtime.functions import Invocation
from infra.local_runtime.streams import BufferedRecord, batch_outcome, lambda_record

BATCH = [BufferedRecord({}, sequence, 0.0) for sequence in (101, 102, 103)]


def answer(payload: Any = None, error: dict[str, Any] | None = None) -> Invocation:
    return Invocation("Fn", "req", payload, error, 1.0, False)


@pytest.mark.parametrize(
    "payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}]
)
def test_an_empty_or_null_answer_is_a_complete_success(payload: Any) -> None:
    assert batch_outcome(answer(payload), BATCH, report_failures=True).succeeded


def test_the_checkpoint_is_the_lowest_failed_sequence_number() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "103"}, {"itemIdentifier": "102"}]}

    assert batch_outcome(answer(payload), BATCH, report_failures=True).failed_from == 1


@pytest.mark.parametrize(
    "failure",
    [
        {"itemIdentifier": ""},
        {"itemIdentifier": None},
        {"itemId": "102"},
        {"itemIdentifier": "999"},
        "102",
    ],
)
def test_an_empty_null_misnamed_or_unknown_identifier_fails_the_whole_batch(failure: Any) -> None:
    outcome = batch_outcome(answer({"batchItemFailures": [failure]}), BATCH, report_failures=True)

    assert outcome.failed_from == 0


def test_a_function_error_fails_the_whole_batch() -> None:
    outcome = batch_outcome(answer(error={"errorType": "ValueError"}), BATCH, report_failures=True)

    assert outcome.failed_from == 0


def test_without_report_batch_item_failures_the_answer_is_ignored() -> None:
    payload = {"batchItemFailures": [{"itemIdentifier": "102"}]}

    assert batch_outcome(answer(payload), BATCH, report_failures=False).succeeded


def test_a_record_is_shaped_as_lambda_delivers_it() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "INSERT",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2026, 11, 21, 3, 15, 7, 640000, tzinfo=UTC),
            "Keys": {"id": {"B": b"\x01"}},
            "SequenceNumber": "1100000000017454423009",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }

    record = lambda_record(raw, "arn:aws:dynamodb:eu-west-1:1:table/T/stream/x", "eu-west-1")

    assert record.record["eventSourceARN"] == "arn:aws:dynamodb:eu-west-1:1:table/T/stream/x"
    assert record.record["awsRegion"] == "eu-west-1"
    assert record.record["dynamodb"]["ApproximateCreationDateTime"] == 1795230907
    assert record.record["dynamodb"]["Keys"] == {"id": {"B": "AQ=="}}
    assert record.sequence == 1100000000017454423009

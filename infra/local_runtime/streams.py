"""DynamoDB stream event source mappings, polled the way Lambda documents it.

One poller per shard keeps one batch in flight. A batch succeeds whole, fails
whole (and is retried whole, or split in two when BisectBatchOnFunctionError
is on), or, with ReportBatchItemFailures, moves the checkpoint to its lowest
failed sequence number. Records past MaximumRetryAttempts or
MaximumRecordAgeInSeconds are dropped, and the OnFailure destination gets
Lambda's invocation record describing them. moto's own mappings are not used:
they need Docker and clear the stream.

After a read that finds nothing, a poller waits `poll_interval`, as it always
has; then, if no write to its table has been served meanwhile (`wake`), it waits
for one, or for `idle_interval` at most. Reading every `poll_interval` whether or
not anything was written kept an idle runtime busy (half a core for template.yaml's
dozen pollers), and waking every poller on any write made GetRecords that found
nothing most of moto's requests under load. While its table is written, a poller
reads exactly as before: reading sooner would make smaller batches and more reads,
and those contend for moto's one DynamoDB lock with the functions. A batching
window or a retry waits on its own timer, as before.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from infra.local_runtime.functions import Invocation
from infra.local_runtime.stack import Stack
from infra.local_runtime.template import EventSource, TemplateError, as_bool

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient

Invoke = Callable[[str, dict[str, Any], str], Invocation]
log = logging.getLogger("flexfleet.local")


@dataclass(frozen=True)
class StreamMapping:
    """One DynamoDB event source of one function, as the template configures it."""

    function_id: str
    function_arn: str
    event_name: str
    stream_arn: str
    starting_position: str
    batch_size: int = 100
    batching_window_seconds: float = 0.0
    report_batch_item_failures: bool = False
    bisect_on_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_seconds: int = -1
    on_failure_queue_url: str | None = None
    enabled: bool = True

    @classmethod
    def from_event(cls, stack: Stack, event: EventSource) -> StreamMapping:
        unsupported: list[str] = sorted(
            name
            for name in ("FilterCriteria", "TumblingWindowInSeconds", "KmsKeyArn", "MetricsConfig")
            if name in event.properties
        )
        if str(event.properties.get("ParallelizationFactor", 1)) != "1":
            unsupported.append("ParallelizationFactor")
        if unsupported:
            names = ", ".join(unsupported)
            raise TemplateError(f"{event.function_id}.{event.name}: no local support for {names}")
        props = stack.resolve(event.properties)
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        queue_url = stack.queue_url_of(on_failure) if on_failure else None
        return cls(
            function_id=event.function_id,
            function_arn=stack.function_arn(event.function_id),
            event_name=event.name,
            stream_arn=str(props["Stream"]),
            starting_position=str(props.get("StartingPosition", "LATEST")),
            batch_size=int(props.get("BatchSize", 100)),
            batching_window_seconds=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures"
            in (props.get("FunctionResponseTypes") or []),
            bisect_on_error=as_bool(props.get("BisectBatchOnFunctionError", False)),
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            maximum_record_age_seconds=int(props.get("MaximumRecordAgeInSeconds", -1)),
            on_failure_queue_url=queue_url,
            enabled=as_bool(props.get("Enabled", True)),
        )

    @property
    def table_name(self) -> str:
        return table_of(self.stream_arn)


def table_of(name_or_arn: str) -> str:
    """The table's name, from its name or any ARN under it (a table's, or its stream's)."""
    return name_or_arn.split(":table/", 1)[-1].split("/", 1)[0]


@dataclass(frozen=True)
class BufferedRecord:
    record: dict[str, Any]  # as Lambda delivers it
    sequence: int
    created: float  # ApproximateCreationDateTime, epoch seconds


def _json_safe(value: Any) -> Any:
    """Binary attribute values arrive as bytes from boto3; Lambda sends them base64-encoded."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_json_safe(v) for v in value]
    return value


def lambda_record(
    raw: dict[str, Any],
    stream_arn: str,
    region: str,
    stamp: Callable[[float], float] = lambda real: real,
) -> BufferedRecord:
    """A GetRecords record shaped as Lambda delivers it to a function. `stamp` turns moto's
    creation time (real time) into the runtime's clock as it read then."""
    change = _json_safe(dict(raw["dynamodb"]))
    created = raw["dynamodb"].get("ApproximateCreationDateTime")
    created_at = stamp(
        created.timestamp() if isinstance(created, datetime) else float(created or 0)
    )
    change["ApproximateCreationDateTime"] = int(created_at)
    record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):
        record["userIdentity"] = raw["userIdentity"]
    return BufferedRecord(record, int(change["SequenceNumber"]), created_at)


@dataclass(frozen=True)
class BatchOutcome:
    """What an invocation did to a batch: done, failed whole, or failed from `failed_from` on."""

    invocation: Invocation
    failed_from: int | None  # index in the batch of the lowest failed record

    @property
    def succeeded(self) -> bool:
        return self.failed_from is None


def batch_outcome(
    invocation: Invocation, batch: list[BufferedRecord], report_failures: bool
) -> BatchOutcome:
    if not invocation.ok:
        return BatchOutcome(invocation, 0)
    payload = invocation.payload
    if not report_failures or not isinstance(payload, dict):
        return BatchOutcome(invocation, None)
    failures = payload.get("batchItemFailures")
    if not failures:
        return BatchOutcome(invocation, None)
    index_by_sequence = {str(r.sequence): i for i, r in enumerate(batch)}
    indexes = []
    for failure in failures if isinstance(failures, list) else [None]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        # Empty, null, misnamed or unknown identifiers fail the whole batch.
        if not identifier or str(identifier) not in index_by_sequence:
            return BatchOutcome(invocation, 0)
        indexes.append(index_by_sequence[str(identifier)])
    return BatchOutcome(invocation, min(indexes))


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class ShardPoller:
    """Reads one shard and keeps one batch of it in flight at a time."""

    mapping: StreamMapping
    shard_id: str
    streams: DynamoDBStreamsClient
    sqs: SQSClient | None
    invoke: Invoke
    region: str
    clock: Callable[[], float] = time.time
    # A record's creation time (moto's, real) on `clock`: ages are measured on one clock.
    stamp: Callable[[float], float] = lambda real: real
    poll_interval: float = 0.05  # after a read that found nothing
    # Between reads when nothing is written; a write wakes the poller at once (wake()).
    idle_interval: float = 0.5
    retry_backoff: tuple[float, float] = (0.05, 1.0)  # first and longest wait between retries
    on_activity: Callable[[], None] = lambda: None
    _buffer: deque[BufferedRecord] = field(default_factory=deque)
    _forced: list[int] = field(default_factory=list)  # sizes of bisected batches still to run
    _failed_head: int | None = None
    _attempts: int = 0
    _iterator: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _wakeup: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    quiet_polls: int = 0  # polls that found nothing to do: drain() watches this
    busy: bool = False
    discarded: list[dict[str, Any]] = field(default_factory=list)  # on-failure messages sent

    def open(self) -> None:
        """Takes the shard iterator at the mapping's StartingPosition."""
        self._iterator = self.streams.get_shard_iterator(
            StreamArn=self.mapping.stream_arn,
            ShardId=self.shard_id,
            ShardIteratorType=self.mapping.starting_position,  # type: ignore[arg-type]
        )["ShardIterator"]

    def start(self) -> None:
        self.open()
        self._thread = threading.Thread(
            target=self._run, name=f"stream-{self.mapping.function_id}", daemon=True
        )
        self._thread.start()

    def wake(self) -> None:
        """Reads the shard now: something may have been written."""
        self._wakeup.set()

    def stop(self) -> None:
        self._stop.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Cleared before the read: a write served after this wakes the wait below, and one
            # served before it is in what the read returns.
            self._wakeup.clear()
            try:
                worked = self.step()
            except Exception:  # noqa: BLE001 - a poller must outlive a passing fault
                log.exception("%s: stream poller fault; retrying", self.mapping.function_id)
                worked = False
            if not worked:
                if not self._buffer:
                    self.quiet_polls += 1
                self._stop.wait(self.poll_interval)
                if not self._buffer and not self._wakeup.is_set():
                    self._wakeup.wait(max(0.0, self.idle_interval - self.poll_interval))

    # ------------------------------------------------------------ polling
    def _fill(self) -> None:
        if self._iterator is None or len(self._buffer) >= self.mapping.batch_size:
            return
        page = self.streams.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = page.get("NextShardIterator")
        for raw in page.get("Records", []):
            self._buffer.append(
                lambda_record(dict(raw), self.mapping.stream_arn, self.region, self.stamp)
            )

    def _window_open(self) -> bool:
        """With a batching window, wait for a full batch or for the window to pass."""
        window = self.mapping.batching_window_seconds
        if window <= 0 or self._forced or len(self._buffer) >= self.mapping.batch_size:
            return False
        return self.clock() < self._buffer[0].created + window

    def step(self) -> bool:
        """Polls once and runs at most one batch; False when there was nothing to do."""
        self._fill()
        if not self._buffer or self._window_open():
            return False
        self.busy = True
        self.on_activity()
        try:
            size = self._forced[0] if self._forced else self.mapping.batch_size
            batch = list(self._buffer)[: min(size, len(self._buffer))]
            batch = self._drop_expired(batch)
            if batch:
                self._run_batch(batch)
        finally:
            self.busy = False
            self.on_activity()
        return True

    # ---------------------------------------------------------- checkpoint
    def _checkpoint(self, count: int) -> None:
        """The first `count` records of the current batch are done with, for good or ill."""
        for _ in range(count):
            self._buffer.popleft()
        if self._forced:
            self._forced[0] -= count
            if self._forced[0] <= 0:
                self._forced.pop(0)

    def _drop_expired(self, batch: list[BufferedRecord]) -> list[BufferedRecord]:
        limit = self.mapping.maximum_record_age_seconds
        if limit < 0:
            return batch
        now = self.clock()
        expired = 0
        while expired < len(batch) and now - batch[expired].created > limit:
            expired += 1
        if expired:
            self._discard(batch[:expired], "RecordAgeExceeded", None, self._attempts)
            self._checkpoint(expired)
        return batch[expired:]

    def _run_batch(self, batch: list[BufferedRecord]) -> None:
        event = {"Records": [r.record for r in batch]}
        invocation = self.invoke(
            self.mapping.function_id, event, f"dynamodb {self.mapping.table_name}"
        )
        outcome = batch_outcome(invocation, batch, self.mapping.report_batch_item_failures)
        if outcome.succeeded:
            self._checkpoint(len(batch))
            self._failed_head, self._attempts = None, 0
            return
        failed_from = outcome.failed_from or 0
        if failed_from:
            self._checkpoint(failed_from)
        remaining = batch[failed_from:]
        if self.mapping.bisect_on_error:
            if not invocation.ok and len(remaining) > 1:
                # Splitting does not count towards the retry quota.
                half = (len(remaining) + 1) // 2
                self._forced[:1] = [half, len(remaining) - half]
                return
            # A partial failure is retried from its checkpoint: the rest of this batch only.
            self._forced[:1] = [len(remaining)]
        elif failed_from == 0:
            # A failed batch is retried as it was, not grown by records that came since.
            self._forced[:1] = [len(remaining)]
        self._count_failure(remaining, invocation)

    def _count_failure(self, remaining: list[BufferedRecord], invocation: Invocation) -> None:
        head = remaining[0].sequence
        self._attempts = self._attempts + 1 if head == self._failed_head else 1
        self._failed_head = head
        retries = self.mapping.maximum_retry_attempts
        if retries >= 0 and self._attempts > retries:
            self._discard(remaining, "RetryAttemptsExhausted", invocation, self._attempts)
            self._checkpoint(len(remaining))
            self._failed_head, self._attempts = None, 0
            return
        first, longest = self.retry_backoff
        self._stop.wait(min(longest, first * 2 ** (self._attempts - 1)))

    def _discard(
        self,
        records: list[BufferedRecord],
        condition: str,
        invocation: Invocation | None,
        attempts: int,
    ) -> None:
        """Lambda's invocation record for records it gives up on: where they were, not what."""
        message: dict[str, Any] = {
            "requestContext": {
                "requestId": invocation.request_id if invocation else str(uuid.uuid4()),
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                **({"functionError": "Unhandled"} if invocation and not invocation.ok else {}),
            },
            "version": "1.0",
            "timestamp": _iso(self.clock()),
            "DDBStreamBatchInfo": {
                "shardId": self.shard_id,
                "startSequenceNumber": str(records[0].sequence),
                "endSequenceNumber": str(records[-1].sequence),
                "approximateArrivalOfFirstRecord": _iso(records[0].created),
                "approximateArrivalOfLastRecord": _iso(records[-1].created),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }
        if self.sqs is not None and self.mapping.on_failure_queue_url:
            self.sqs.send_message(
                QueueUrl=self.mapping.on_failure_queue_url, MessageBody=json.dumps(message)
            )
        self.discarded.append(message)


def shard_ids(streams: DynamoDBStreamsClient, stream_arn: str) -> list[str]:
    # Shards are read once, at start: moto keeps one shard per stream and never splits it.
    description = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
    return [shard["ShardId"] for shard in description.get("Shards", [])]

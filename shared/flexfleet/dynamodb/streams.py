"""DynamoDB stream records as Lambda delivers them, and the table a record came from.

Powertools' parser has the same models, but importing them builds every event model it knows:
60 ms of each cold start for the one a stream function needs. Images stay in DynamoDB's JSON, as
items are, so that each feature reads them with its own item reader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor


class StreamChange(BaseModel):
    """The `dynamodb` part of a stream record."""

    SequenceNumber: str
    StreamViewType: str
    Keys: dict[str, Any]
    NewImage: dict[str, Any] | None = None
    OldImage: dict[str, Any] | None = None
    # Epoch seconds; Lambda rounds it to the second.
    ApproximateCreationDateTime: float | None = None

    def changed_at(self, otherwise: datetime) -> datetime:
        """When DynamoDB recorded the change: the same for a redelivered record."""
        if self.ApproximateCreationDateTime is None:
            return otherwise
        return datetime.fromtimestamp(self.ApproximateCreationDateTime, UTC)


class StreamRecord(BaseModel):
    eventID: str  # noqa: N815 - Lambda's names
    eventName: str  # noqa: N815
    eventSourceARN: str  # noqa: N815
    dynamodb: StreamChange


def table_of(source_arn: str) -> str:
    """The table name in a stream's ARN (…:table/<name>/stream/<label>)."""
    return source_arn.split(":table/", 1)[-1].split("/", 1)[0]


def record_processor() -> BatchProcessor:
    """Powertools' BatchProcessor for these records, as every stream function here uses it.

    Our own model: BatchProcessor's annotation names only Powertools' parser models. A batch whose
    every record failed is reported record by record too, not raised as a function error: a
    poison record is data to repair, and goes to the failure queue, not to the Errors alarm.
    """
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(
        EventType.DynamoDBStreams,
        model=StreamRecord,  # type: ignore[arg-type]
        raise_on_entire_batch_failure=False,
    )

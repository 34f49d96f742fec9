"""DynamoDB stream records as Lambda delivers them, and the table a record came from.

Powertools' parser has the same models, but importing them builds every event model it knows:
60 ms of each cold start for the one a stream function needs. Images stay in DynamoDB's JSON, as
items are, so that each feature reads them with its own item reader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel


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

"""What is pushed: one JSON text frame per message, and the stored connection.

A message is `{"id", "type", "at", "data"}`. Its id is derived from the stream record that caused
it and its type, so a redelivered record gives the same id and a client drops the repeat.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from flexfleet.clock import iso


class MessageType(StrEnum):
    RATING_CREATED = "rating.created"  # to the rated driver; never who rated
    STANDING_CHANGED = "standing.changed"  # to the driver: the tier or a component moved
    DISPUTE_DECIDED = "dispute.decided"  # to the driver whose rating was disputed
    OFFER_RELEASED = "offer.released"  # a block newly visible to the driver
    OFFER_RESERVED = "offer.reserved"  # an exclusive reserved offer, to its driver
    INSTANT_OFFER_CREATED = "instantOffer.created"  # to the offered driver
    ORDER_ASSIGNED = "order.assigned"  # to the driver it was assigned to
    ORDER_STATUS = "order.status"  # to the order's retailer and its customer


class Message(BaseModel):
    """One push, as the client receives it."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: MessageType
    at: str
    data: dict[str, Any]

    def frame(self) -> bytes:
        return self.model_dump_json().encode()


def message_id(event_id: str, message_type: MessageType) -> str:
    """The same for the same stream record and type, and for no other: a client drops repeats."""
    digest = hashlib.sha256(f"{event_id}/{message_type.value}".encode()).hexdigest()
    return digest[:32]


def message(
    event_id: str, message_type: MessageType, at: datetime, data: dict[str, Any]
) -> Message:
    return Message(id=message_id(event_id, message_type), type=message_type, at=iso(at), data=data)


class Connection(BaseModel):
    """A live WebSocket connection of one user, as ConnectionsTable keeps it: pushed to until
    `expires_at`, when its token expires or API Gateway closes it, whichever is first."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    user_id: str
    groups: frozenset[str]
    connected_at: datetime
    expires_at: datetime

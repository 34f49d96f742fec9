"""What a dispatch rule decides on and what it decides: plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class WaitingOrder:
    order_id: str
    ready_at: datetime
    deliver_by: datetime
    trip: (
        timedelta  # from the driver at the store to the order at the door: pickup, travel, handover
    )
    flagged: str | None = None  # the reason it was flagged for ops, if it was


@dataclass(frozen=True)
class DriverOnDuty:
    driver_id: str
    block_id: str
    waiting_since: datetime  # checked in, or last freed
    block_end: datetime


@dataclass(frozen=True)
class Assignment:
    order_id: str
    driver_id: str
    block_id: str


@dataclass(frozen=True)
class Flag:
    order_id: str
    reason: str


@dataclass
class Plan:
    assignments: list[Assignment] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

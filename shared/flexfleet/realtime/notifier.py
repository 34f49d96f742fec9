"""The notifier: each change on the streams it reads, pushed to the live connections of whoever
may see it.

Per stream record: its images read with their features' readers (sources.py), the notices they
make (notices.py), the drivers a released block reaches found by query (never a Scan), then each
recipient's unexpired connections (one query on byUser, kept for the batch; the newest
MAX_CONNECTIONS_PER_USER of them) that were opened with a role the notice needs, and one post
per connection and message. A connection gone (410) is deleted.

A message's id comes from the record's eventID and the type, so a record delivered again, after
a failure or a retry, pushes the same ids, which clients drop. A record whose pushes fail for
another reason (a throttle, a 5xx) fails alone and is retried by Lambda.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from flexfleet.clock import Clock, utc_now
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.streams import StreamRecord, table_of
from flexfleet.realtime import config
from flexfleet.realtime.model import Connection, Message, message
from flexfleet.realtime.notices import (
    Notice,
    instant_offer_notices,
    order_notices,
    rating_notices,
    release_notices,
    released_tiers,
    reserved_offer_notices,
    standing_notices,
)
from flexfleet.realtime.sources import READERS, Block
from flexfleet.tiers import StandingOf


class Sources(Protocol):
    def drivers_preferring(self, mall_id: str) -> list[str]: ...
    def standing_items(self, driver_ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def block(self, block_id: str) -> Block | None: ...


class ConnectionReader(Protocol):
    def of_user(self, user_id: str) -> list[Connection]: ...
    def remove(self, connection_id: str) -> None: ...


class Posting(Protocol):
    def post(self, connection_id: str, frame: bytes) -> bool:
        """False if the connection has gone."""


@dataclass
class PushOutcome:
    pushed: int = 0  # messages posted to a connection
    gone: int = 0  # connections found gone (410) and removed
    fanned_out: int = 0  # drivers a released block was pushed to


@dataclass
class _Batch:
    """The connections of each user, read once per invocation."""

    connections: dict[str, list[Connection]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def newest(connections: list[Connection], most: int) -> list[Connection]:
    """The `most` newest connections, oldest first. $connect refuses a user's connection past the
    cap, but two at once can both pass its count: posting to each connection one after another,
    a user with many would hold the record, and the batch, past the function's timeout."""
    ordered = sorted(connections, key=lambda c: (c.connected_at, c.connection_id))
    return ordered[-most:] if most > 0 else []


class Notifier:
    def __init__(
        self,
        tables: dict[str, str],
        sources: Sources,
        connections: ConnectionReader,
        posting: Posting,
        standing_of: StandingOf,
        clock: Clock = utc_now,
    ) -> None:
        """`tables` maps each table name read to its kind, a key of sources.READERS."""
        self._kinds = tables
        self._sources = sources
        self._connections = connections
        self._posting = posting
        self._standing_of = standing_of
        self._clock = clock
        self._batch = _Batch()
        self.outcome = PushOutcome()

    def handle_record(self, record: StreamRecord) -> list[Message]:
        """Pushes what one record means; the messages it made (each to one or more users)."""
        kind = self._kinds.get(table_of(record.eventSourceARN))
        if kind is None:
            raise ValueError(
                f"a record from a stream this function does not read: {record.eventSourceARN}"
            )
        change = record.dynamodb
        old, new = (self._image(kind, image) for image in (change.OldImage, change.NewImage))
        now = self._clock()
        at = change.changed_at(now)
        notices = self._notices(kind, old, new, now)
        messages = {
            notice.type: message(record.eventID, notice.type, at, notice.data) for notice in notices
        }
        self._deliver(notices, messages)
        return list(messages.values())

    def _image(self, kind: str, image: dict[str, Any] | None) -> Any:
        """The image read as its feature reads it; None if absent or unreadable (reported:
        nothing is pushed of an item the API itself could not show)."""
        return None if image is None else unreadable.read(READERS[kind], image)

    def _notices(self, kind: str, old: Any, new: Any, now: datetime) -> list[Notice]:
        if kind == "ratings":
            return rating_notices(old, new)
        if kind == "standingHistory":
            return standing_notices(new if old is None else None)
        if kind == "orders":
            return order_notices(old, new)
        if kind == "instantOffers":
            return instant_offer_notices(old, new)
        if kind == "reservedOffers":
            fresh = old is None and new is not None and new.status == "pending"
            block = self._sources.block(new.block_id) if fresh else None
            return reserved_offer_notices(old, new, block)
        tiers = released_tiers(old, new)
        return self._released(new, tiers, now) if tiers else []

    def _released(self, block: Block, tiers: list[Any], now: datetime) -> list[Notice]:
        """The drivers a block was just released to: those who prefer its mall (one query), in
        one of the tiers (their standing, 100 a request)."""
        if block.taken >= block.capacity or block.start <= now:
            return []
        drivers = self._sources.drivers_preferring(block.mall_id)
        items = self._sources.standing_items(drivers)
        standings = {d: self._standing_of(d, items.get(d)) for d in drivers}
        notices = release_notices(block, tiers, standings, now)
        self.outcome.fanned_out += len(notices)
        return notices

    def _deliver(self, notices: list[Notice], messages: dict[Any, Message]) -> None:
        by_user: dict[str, list[Notice]] = defaultdict(list)
        for notice in notices:
            by_user[notice.user_id].append(notice)
        work = [partial(self._deliver_to, user, mine, messages) for user, mine in by_user.items()]
        if len(work) <= 1:
            for job in work:
                job()
            return
        with ThreadPoolExecutor(max_workers=config.FANOUT_CONCURRENCY) as pool:
            for done in [pool.submit(job) for job in work]:
                done.result()  # a failed push fails the record, to be retried

    def _deliver_to(
        self, user: str, notices: Iterable[Notice], messages: dict[Any, Message]
    ) -> None:
        for connection in self._of_user(user):
            for notice in notices:
                if not connection.groups & notice.roles:
                    continue  # opened with a token that may not read this
                if not self._posting.post(connection.connection_id, messages[notice.type].frame()):
                    self._forget(connection)
                    break
                with self._batch.lock:
                    self.outcome.pushed += 1

    def _of_user(self, user: str) -> list[Connection]:
        with self._batch.lock:
            known = self._batch.connections.get(user)
        if known is None:
            known = newest(self._connections.of_user(user), config.MAX_CONNECTIONS_PER_USER)
            with self._batch.lock:
                self._batch.connections[user] = known
        return list(known)

    def _forget(self, connection: Connection) -> None:
        self._connections.remove(connection.connection_id)
        with self._batch.lock:
            self.outcome.gone += 1
            mine = self._batch.connections.get(connection.user_id, [])
            self._batch.connections[connection.user_id] = [c for c in mine if c != connection]

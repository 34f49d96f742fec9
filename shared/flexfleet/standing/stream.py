"""Stream records of the ratings, deliveries and bookings tables, and what a batch recomputes.

A batch recomputes each driver it touches once, from the source of truth; the
batch's own new images are handed along in case the index has not caught up.
Each image is read with the reader the API uses (standing.sources), so an item
the API could not read is a poison record: it fails alone, through BatchProcessor's
partial failure report, with the reason logged, and ends in the failure queue. It
never counts in standing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.streams import StreamChange, StreamRecord, table_of
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.standing.model import BookingFact, DeliveryFact, RatingFact
from flexfleet.standing.sources import booking_source, delivery_source, rating_source

__all__ = ["StandingBatch", "StreamRecord", "standing_batch"]

Fact = TypeVar("Fact", RatingFact, DeliveryFact, BookingFact)
Reader = Callable[[dict[str, Any]], tuple[str, Fact]]


def _item_id(fact: RatingFact | DeliveryFact | BookingFact) -> str:
    if isinstance(fact, RatingFact):
        return fact.rating_id
    return fact.delivery_id if isinstance(fact, DeliveryFact) else fact.block_id


class StandingBatch(Generic[Fact]):
    """One stream batch: recompute each touched driver once, with the batch's images at hand."""

    def __init__(
        self,
        read: Reader[Fact],
        raw_records: Iterable[dict[str, Any]],
        recompute: Callable[[str, dict[str, Fact | None]], None],
    ) -> None:
        self._read: Callable[[dict[str, Any]], tuple[str, Fact]] = read
        self._recompute: Callable[[str, dict[str, Fact | None]], None] = recompute
        self._done: set[str] = set()
        # Each image read once, by sequence number and side: what it gives, or why it can't.
        self._read_images: dict[tuple[str, str], tuple[str, Fact] | UnreadableItem] = {}
        # Per driver, the last state the batch shows of each item: its newest image, or None
        # once removed. These are newer than what a lagging index may still answer.
        self._facts: dict[str, dict[str, Fact | None]] = {}
        for raw in raw_records:
            change = _change(raw)
            if change is None:
                continue
            old, new = (self._lenient(change, side) for side in ("old", "new"))
            for seen in (old, new):
                if seen is not None:
                    driver, fact = seen
                    latest = new[1] if new is not None and new[0] == driver else None
                    self._facts.setdefault(driver, {})[_item_id(fact)] = latest

    def _image(self, change: StreamChange, side: str) -> tuple[str, Fact] | UnreadableItem | None:
        image = change.OldImage if side == "old" else change.NewImage
        if image is None:
            return None
        key = (change.SequenceNumber, side)
        if key not in self._read_images:
            try:
                self._read_images[key] = self._read(image)
            except UnreadableItem as problem:
                self._read_images[key] = problem
        return self._read_images[key]

    def _lenient(self, change: StreamChange, side: str) -> tuple[str, Fact] | None:
        image = self._image(change, side)
        return None if isinstance(image, UnreadableItem) else image

    def handle_record(self, record: StreamRecord) -> None:
        """Recomputes the drivers of one record; an unreadable new image fails the record."""
        change = record.dynamodb
        if change.OldImage is None and change.NewImage is None:
            raise ValueError(
                "a stream record without images: the stream must be NEW_AND_OLD_IMAGES"
            )
        # An old image that cannot be read never counted: only its replacement matters.
        old = self._lenient(change, "old")
        new = self._image(change, "new")
        if isinstance(new, UnreadableItem):
            unreadable.report(new)
            raise new
        self.handle(old, new)

    def handle(self, old: tuple[str, Fact] | None, new: tuple[str, Fact] | None) -> None:
        if old == new:
            return  # nothing standing reads has changed (a driver's response, say)
        for driver_id in {seen[0] for seen in (old, new) if seen is not None}:
            if driver_id not in self._done:
                self._recompute(driver_id, self._facts.get(driver_id, {}))
                self._done.add(driver_id)


def _change(raw: dict[str, Any]) -> StreamChange | None:
    """The record's change, read leniently: a malformed record fails later, alone."""
    try:
        return StreamChange.model_validate(raw.get("dynamodb") or {})
    except ValidationError:
        return None


def standing_batch(
    raw_records: list[dict[str, Any]],
    ratings_table_name: str,
    deliveries_table_name: str,
    ratings_changed: Callable[[str, dict[str, RatingFact | None]], None],
    deliveries_changed: Callable[[str, dict[str, DeliveryFact | None]], None],
    bookings_table_name: str = "",
    bookings_changed: Callable[[str, dict[str, BookingFact | None]], None] | None = None,
) -> tuple[str, StandingBatch[Any]]:
    """Which stream the batch came from, and the batch. A batch comes from one stream only."""
    source_arn = str(raw_records[0].get("eventSourceARN", "")) if raw_records else ""
    table = table_of(source_arn)
    if table == ratings_table_name:
        return "ratings", StandingBatch(rating_source, raw_records, ratings_changed)
    if table == deliveries_table_name:
        return "deliveries", StandingBatch(delivery_source, raw_records, deliveries_changed)
    if bookings_changed is not None and table == bookings_table_name:
        return "bookings", StandingBatch(booking_source, raw_records, bookings_changed)
    raise ValueError(f"a batch from a stream this function does not read: {source_arn}")

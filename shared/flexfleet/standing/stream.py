"""Stream records of the ratings and deliveries tables, and what a batch of them recomputes.

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

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.unreadable import UnreadableItem
from flexfleet.standing.model import DeliveryFact, RatingFact
from flexfleet.standing.sources import delivery_source, rating_source

logger = Logger(child=True)

Fact = TypeVar("Fact", RatingFact, DeliveryFact)
Reader = Callable[[dict[str, Any]], tuple[str, Fact]]


class StreamChange(BaseModel):
    """The `dynamodb` part of a stream record; its images stay in DynamoDB's JSON, as items are.

    Powertools' parser has the same models, but importing them builds every event
    model it knows: 60 ms of each cold start for the one this function needs.
    """

    SequenceNumber: str
    StreamViewType: str
    Keys: dict[str, Any]
    NewImage: dict[str, Any] | None = None
    OldImage: dict[str, Any] | None = None


class StreamRecord(BaseModel):
    eventID: str  # noqa: N815 - Lambda's names
    eventName: str  # noqa: N815
    eventSourceARN: str  # noqa: N815
    dynamodb: StreamChange


def _item_id(fact: RatingFact | DeliveryFact) -> str:
    return fact.rating_id if isinstance(fact, RatingFact) else fact.delivery_id


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
        # Per driver, the last state the batch shows of each item: its newest image, or None
        # once removed. These are newer than what a lagging index may still answer.
        self._facts: dict[str, dict[str, Fact | None]] = {}
        for raw in raw_records:
            old, new = (self._lenient(image) for image in _images(raw))
            for seen in (old, new):
                if seen is not None:
                    driver, fact = seen
                    latest = new[1] if new is not None and new[0] == driver else None
                    self._facts.setdefault(driver, {})[_item_id(fact)] = latest

    def _lenient(self, image: dict[str, Any] | None) -> tuple[str, Fact] | None:
        if image is None:
            return None
        try:
            return self._read(image)
        except UnreadableItem:
            return None

    def handle_record(self, record: StreamRecord) -> None:
        """Recomputes the drivers of one record; an unreadable new image fails the record."""
        change = record.dynamodb
        if change.OldImage is None and change.NewImage is None:
            raise ValueError(
                "a stream record without images: the stream must be NEW_AND_OLD_IMAGES"
            )
        # An old image that cannot be read never counted: only its replacement matters.
        old = self._lenient(change.OldImage)
        new = None
        if change.NewImage is not None:
            try:
                new = self._read(change.NewImage)
            except UnreadableItem as problem:
                unreadable.report(problem)
                raise
        self.handle(old, new)

    def handle(self, old: tuple[str, Fact] | None, new: tuple[str, Fact] | None) -> None:
        if old == new:
            return  # nothing standing reads has changed (a driver's response, say)
        for driver_id in {seen[0] for seen in (old, new) if seen is not None}:
            if driver_id not in self._done:
                self._recompute(driver_id, self._facts.get(driver_id, {}))
                self._done.add(driver_id)


def _images(raw: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The record's old and new images, read leniently: a malformed record fails later, alone."""
    try:
        change = StreamChange.model_validate(raw.get("dynamodb") or {})
    except ValidationError:
        return None, None
    return change.OldImage, change.NewImage


def standing_batch(
    raw_records: list[dict[str, Any]],
    ratings_table_name: str,
    deliveries_table_name: str,
    ratings_changed: Callable[[str, dict[str, RatingFact | None]], None],
    deliveries_changed: Callable[[str, dict[str, DeliveryFact | None]], None],
) -> tuple[str, StandingBatch[Any]]:
    """Which stream the batch came from, and the batch. A batch comes from one stream only."""
    source_arn = str(raw_records[0].get("eventSourceARN", "")) if raw_records else ""
    table = source_arn.split(":table/", 1)[-1].split("/", 1)[0]
    if table == ratings_table_name:
        return "ratings", StandingBatch(rating_source, raw_records, ratings_changed)
    if table == deliveries_table_name:
        return "deliveries", StandingBatch(delivery_source, raw_records, deliveries_changed)
    raise ValueError(f"a batch from a stream this function does not read: {source_arn}")

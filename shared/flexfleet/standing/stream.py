"""Stream records of the ratings and deliveries tables, and what a batch of them recomputes.

A batch recomputes each driver it touches once, from the source of truth; the
batch's own new images are handed along in case the index has not caught up.
A record whose image is not a rating (or delivery) fails alone, as a poison
record, through BatchProcessor's partial failure report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.shared.dynamodb_deserializer import TypeDeserializer
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from flexfleet.standing.model import DeliveryFact, RatingFact
from flexfleet.standing.recompute import StandingRecompute
from flexfleet.wiring import TableNames


class RatingImage(BaseModel):
    """A ratings table item, as far as standing reads it."""

    model_config = ConfigDict(extra="ignore")

    ratingId: str  # noqa: N815 - the table's attribute names
    driverId: str  # noqa: N815
    stars: int
    ratedAt: datetime  # noqa: N815
    factors: dict[str, int] = {}
    tags: list[str] = []
    exclusion: dict[str, Any] | None = None

    def fact(self) -> RatingFact:
        return RatingFact(
            rating_id=self.ratingId,
            stars=self.stars,
            rated_at=self.ratedAt,
            factors=self.factors,
            tags=frozenset(self.tags),
            excluded=self.exclusion is not None,
        )

    def scored(self) -> tuple[Any, ...]:
        """What the standing model reads of it: a change elsewhere (a response) changes nothing."""
        return (
            self.driverId,
            self.stars,
            self.ratedAt,
            self.factors,
            sorted(self.tags),
            self.exclusion,
        )


class DeliveryImage(BaseModel):
    """A deliveries table item, as far as standing reads it."""

    model_config = ConfigDict(extra="ignore")

    deliveryId: str  # noqa: N815
    driverId: str  # noqa: N815
    promisedStart: datetime  # noqa: N815
    promisedEnd: datetime  # noqa: N815
    deliveredAt: datetime | None = None  # noqa: N815
    outcome: str
    cause: str | None = None

    def fact(self) -> DeliveryFact:
        return DeliveryFact(
            delivery_id=self.deliveryId,
            promised_start=self.promisedStart,
            promised_end=self.promisedEnd,
            delivered_at=self.deliveredAt,
            outcome=self.outcome,
            cause=self.cause,
        )

    def scored(self) -> tuple[Any, ...]:
        return (
            self.driverId,
            self.promisedStart,
            self.promisedEnd,
            self.deliveredAt,
            self.outcome,
            self.cause,
        )


_deserializer = TypeDeserializer()


class StreamChange(BaseModel):
    """The `dynamodb` part of a stream record, its images read into Python values.

    Powertools' parser has the same models, but importing them builds every event
    model it knows: 60 ms of each cold start for the one this function needs.
    """

    SequenceNumber: str
    StreamViewType: str
    Keys: dict[str, Any]
    NewImage: Any = None
    OldImage: Any = None

    @field_validator("Keys", "NewImage", "OldImage", mode="before")
    @classmethod
    def _deserialize(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {name: _deserializer.deserialize(v) for name, v in value.items()}


class RatingChange(StreamChange):
    NewImage: RatingImage | None = None
    OldImage: RatingImage | None = None


class DeliveryChange(StreamChange):
    NewImage: DeliveryImage | None = None
    OldImage: DeliveryImage | None = None


class StreamRecord(BaseModel):
    eventID: str  # noqa: N815 - Lambda's names
    eventName: str  # noqa: N815
    eventSourceARN: str  # noqa: N815


class RatingStreamRecord(StreamRecord):
    dynamodb: RatingChange


class DeliveryStreamRecord(StreamRecord):
    dynamodb: DeliveryChange


Image = TypeVar("Image", RatingImage, DeliveryImage)


class StandingBatch(Generic[Image]):
    """One stream batch: recompute each touched driver once, with the batch's images at hand."""

    def __init__(
        self,
        image_model: type[Image],
        raw_records: Iterable[dict[str, Any]],
        recompute: Callable[[str, dict[str, Any]], None],
    ) -> None:
        self._recompute = recompute
        self._done: set[str] = set()
        # Per driver, the last state the batch shows of each item: its newest image, or None
        # once removed. These are newer than what a lagging index may still answer.
        self._facts: dict[str, dict[str, Any]] = {}
        for raw in raw_records:
            change = _images(image_model, raw)
            if change is None:
                continue
            old, new = change
            for image in (old, new):
                if image is not None:
                    latest = (
                        new.fact() if new is not None and new.driverId == image.driverId else None
                    )
                    self._facts.setdefault(image.driverId, {})[_item_id(image)] = latest

    def handle_record(self, record: RatingStreamRecord | DeliveryStreamRecord) -> None:
        self.handle(record.dynamodb.OldImage, record.dynamodb.NewImage)  # type: ignore[arg-type]

    def handle(self, old: Image | None, new: Image | None) -> None:
        if old is None and new is None:
            raise ValueError(
                "a stream record without images: the stream must be NEW_AND_OLD_IMAGES"
            )
        if old is not None and new is not None and old.scored() == new.scored():
            return
        for driver_id in {image.driverId for image in (old, new) if image is not None}:
            if driver_id not in self._done:
                self._recompute(driver_id, self._facts.get(driver_id, {}))
                self._done.add(driver_id)


def _item_id(image: RatingImage | DeliveryImage) -> str:
    return image.ratingId if isinstance(image, RatingImage) else image.deliveryId


def _images(model: type[Image], raw: dict[str, Any]) -> tuple[Image | None, Image | None] | None:
    """The record's old and new images, read leniently: a poison record fails later, alone."""
    try:
        change = StreamChange.model_validate(raw.get("dynamodb") or {})
        old, new = (
            model.model_validate(image) if isinstance(image, dict) else None
            for image in (change.OldImage, change.NewImage)
        )
    except (ValidationError, TypeError, ValueError):
        return None
    return old, new


def standing_batch(
    raw_records: list[dict[str, Any]], settings: TableNames, recompute: StandingRecompute
) -> tuple[str, StandingBatch[Any]]:
    """Which stream the batch came from, and the batch. A batch comes from one stream only."""
    source_arn = str(raw_records[0].get("eventSourceARN", "")) if raw_records else ""
    table = source_arn.split(":table/", 1)[-1].split("/", 1)[0]
    if table == settings.ratings_table_name:
        return "ratings", StandingBatch(RatingImage, raw_records, recompute.ratings_changed)
    if table == settings.deliveries_table_name:
        return "deliveries", StandingBatch(DeliveryImage, raw_records, recompute.deliveries_changed)
    raise ValueError(f"a batch from a stream this function does not read: {source_arn}")

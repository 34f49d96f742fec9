"""Blocks, bookings, reserved offers and drivers' preferences and schedules in DynamoDB.

- A block is one item; its counters are changed only in the same transaction as the booking or
  offer that moves them. `taken` counts the places spoken for (held, or reserved and pending), so
  that the capacity condition compares two attributes: DynamoDB conditions do no arithmetic.
- A booking is keyed (blockId, driverId): a driver holds a block at most once.
- A driver's schedule item lists the blocks they hold, with a version: two accepts by the same
  driver at once cannot both pass the overlap check, because both write the version they read.
- Preferences are a list under a version, so that two changes at once cannot merge, and one
  item per preferred mall, so that the drivers who prefer a mall are one query on an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flexfleet.blocks.model import Block, Booking, ReservedOffer
from flexfleet.clock import iso
from flexfleet.dynamodb import unreadable
from flexfleet.dynamodb.attribute_values import from_item as plain_item
from flexfleet.dynamodb.attribute_values import to_attribute
from flexfleet.dynamodb.models import model_item, read_model
from flexfleet.dynamodb.pages import all_items, batch_get, put_new
from flexfleet.dynamodb.transactions import TransactionRefused, transact

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SCHEDULE = "schedule"
PREFERENCES = "preferences"
PREFERENCE = "mall#"
NAMES = {"#start": "start", "#end": "end", "#status": "status"}


@dataclass(frozen=True)
class BlockTables:
    blocks: str
    bookings: str
    reserved_offers: str
    drivers: str
    standing: str


@dataclass
class Schedule:
    """The blocks a driver holds, as (start, end) by block id, and the version it was read at."""

    version: int = 0
    held: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


@dataclass
class AcceptContext:
    """Everything an accept decides on, read in one request."""

    booking: Booking | None
    offer: ReservedOffer | None
    schedule: Schedule
    standing: dict[str, Any] | None
    prefers_mall: bool


def block_from_item(item: dict[str, Any]) -> Block:
    return read_model(Block, item, "blocks", "blockId")


def booking_from_item(item: dict[str, Any]) -> Booking:
    # For one release: a booking written before bundles holds its order in `currentOrderId`, a
    # string. It reads as a set of one, so that dispatch sees its driver busy; the order's end
    # removes either form (retail's repository).
    legacy = item.get("currentOrderId", {}).get("S")
    if legacy is not None:
        held = item.get("currentOrderIds", {}).get("SS", [])
        item = item | {"currentOrderIds": {"SS": sorted({*held, legacy})}}
    return read_model(Booking, item, "bookings", "blockId", "driverId")


def offer_from_item(item: dict[str, Any]) -> ReservedOffer:
    return read_model(ReservedOffer, item, "reservedOffers", "blockId", "driverId")


def block_item(block: Block) -> dict[str, Any]:
    # The surge is a number, so that the surge job's condition compares amounts, not text.
    return model_item(block, surge=block.surge)


def booking_item(booking: Booking) -> dict[str, Any]:
    # Tips are a number, so that a delivery can ADD to them; onDutyMall puts a checked-in
    # booking in the index that dispatch reads, until its block ends. The orders held are a
    # string set, so that an order's end can DELETE itself from it; DynamoDB drops the set with
    # its last member, and a booking without one holds no work.
    extra: dict[str, Any] = {
        "tips": booking.tips,
        "currentOrderIds": set(booking.current_order_ids) or None,
    }
    if booking.status == "checked_in":
        extra["onDutyMall"] = booking.mall_id
    return model_item(booking, **extra)


def offer_item(offer: ReservedOffer) -> dict[str, Any]:
    pending = {"offeredTo": offer.driver_id, "pendingMall": offer.mall_id}
    return model_item(offer, **(pending if offer.status == "pending" else {}))


def booking_key(block_id: str, driver_id: str) -> dict[str, Any]:
    return {"blockId": {"S": block_id}, "driverId": {"S": driver_id}}


def _schedule_from_item(item: dict[str, Any] | None) -> Schedule:
    if item is None:
        return Schedule()
    data = plain_item(item)
    held = {
        block_id: (datetime.fromisoformat(span["start"]), datetime.fromisoformat(span["end"]))
        for block_id, span in data.get("held", {}).items()
    }
    return Schedule(version=int(data["version"]), held=held)


class BlockRepository:
    def __init__(self, client: DynamoDBClient, tables: BlockTables) -> None:
        self._client = client
        self.tables = tables

    # ------------------------------------------------------------------ blocks
    def publish(self, block: Block, offers: list[ReservedOffer]) -> Block | None:
        """Stores a new block with its reserved offers, all or nothing; the stored block instead
        if the id is taken (None if that one cannot be read)."""
        if not offers:
            stored = put_new(self._client, self.tables.blocks, block_item(block), "blockId")
            return None if stored is None else unreadable.read(block_from_item, stored)
        try:
            transact(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self.tables.blocks,
                            "Item": block_item(block),
                            "ConditionExpression": "attribute_not_exists(blockId)",
                        }
                    },
                    *(
                        {"Put": {"TableName": self.tables.reserved_offers, "Item": offer_item(o)}}
                        for o in offers
                    ),
                ],
            )
        except TransactionRefused as refused:
            if not refused.failed(0):
                raise
            stored_block = self.block(block.block_id)
            if stored_block is None:
                raise
            return stored_block
        return None

    def block(self, block_id: str) -> Block | None:
        item = self._client.get_item(
            TableName=self.tables.blocks, Key={"blockId": {"S": block_id}}, ConsistentRead=True
        ).get("Item")
        return unreadable.read(block_from_item, item) if item else None

    def _by_start(
        self,
        table: str,
        key: tuple[str, str],
        after: datetime,
        until: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Items of one partition of a table's index keyed (key, start): those that start after
        `after` (and until `until`, inclusive). Each index is named for its partition key."""
        name, value = key
        index = {"mallId": "byMall", "driverId": "byDriver"}[name]
        values = {":key": {"S": value}, ":after": {"S": iso(after)}}
        condition = f"{name} = :key AND #start > :after"
        if until is not None:
            condition = f"{name} = :key AND #start BETWEEN :after AND :until"
            values[":until"] = {"S": iso(until)}
        return list(
            all_items(
                self._client,
                TableName=table,
                IndexName=index,
                KeyConditionExpression=condition,
                ExpressionAttributeNames={"#start": "start"},
                ExpressionAttributeValues=values,
            )
        )

    def upcoming_blocks(self, mall_id: str, after: datetime) -> list[Block]:
        """The mall's blocks that start after `after`: one query on the byMall index."""
        items = self._by_start(self.tables.blocks, ("mallId", mall_id), after)
        return unreadable.read_all(block_from_item, items)

    def blocks_starting_between(
        self, mall_id: str, after: datetime, until: datetime
    ) -> list[Block]:
        items = self._by_start(self.tables.blocks, ("mallId", mall_id), after, until)
        return unreadable.read_all(block_from_item, items)

    def raise_surge(self, block: Block, surge: Decimal) -> bool:
        """Sets the block's surge if it is still unfilled and the surge only rises."""
        try:
            self._client.update_item(
                TableName=self.tables.blocks,
                Key={"blockId": {"S": block.block_id}},
                UpdateExpression="SET surge = :surge",
                ConditionExpression="surge < :surge AND taken < #capacity",
                ExpressionAttributeNames={"#capacity": "capacity"},
                ExpressionAttributeValues={":surge": {"N": str(surge)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_released(self, block: Block, released_to: int) -> bool:
        """Records that the release job reached `released_to` tiers; once per step."""
        try:
            self._client.update_item(
                TableName=self.tables.blocks,
                Key={"blockId": {"S": block.block_id}},
                UpdateExpression="SET releasedTo = :to",
                ConditionExpression="releasedTo < :to",
                ExpressionAttributeValues={":to": {"N": str(released_to)}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # ------------------------------------------------------------------ drivers
    def _preferences(self, driver_id: str) -> tuple[list[str], int]:
        """The preferred malls, as the driver last set them, and the version they were set at."""
        item = self._client.get_item(
            TableName=self.tables.drivers,
            Key={"driverId": {"S": driver_id}, "entry": {"S": PREFERENCES}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return [], 0
        data = plain_item(item)
        return [str(mall) for mall in data.get("mallIds", [])], int(data["version"])

    def preferred_malls(self, driver_id: str) -> list[str]:
        return self._preferences(driver_id)[0]

    def set_preferences(self, driver_id: str, mall_ids: list[str]) -> None:
        """Replaces the driver's preferred malls: the list, under a version, and one index item
        per mall, in one transaction. Two changes at once cannot merge into a set nobody asked
        for: the one that read an older version is refused (TransactionRefused), to read again."""
        listed, version = self._preferences(driver_id)
        current, wanted = set(listed), set(mall_ids)
        key = {"driverId": {"S": driver_id}}
        keep: dict[str, Any] = {
            "TableName": self.tables.drivers,
            "Item": {
                **key,
                "entry": {"S": PREFERENCES},
                "mallIds": to_attribute(list(mall_ids)),
                "version": {"N": str(version + 1)},
            },
            "ConditionExpression": "attribute_not_exists(version)",
        }
        if version:
            keep["ConditionExpression"] = "version = :seen"
            keep["ExpressionAttributeValues"] = {":seen": {"N": str(version)}}
        writes: list[dict[str, Any]] = [{"Put": keep}]
        writes += [
            {
                "Delete": {
                    "TableName": self.tables.drivers,
                    "Key": {**key, "entry": {"S": PREFERENCE + m}},
                }
            }
            for m in sorted(current - wanted)
        ]
        writes += [
            {
                "Put": {
                    "TableName": self.tables.drivers,
                    "Item": {**key, "entry": {"S": PREFERENCE + m}, "preferredMall": {"S": m}},
                }
            }
            for m in sorted(wanted - current)
        ]
        transact(self._client, writes)

    def drivers_preferring(self, mall_id: str) -> list[str]:
        items = all_items(
            self._client,
            TableName=self.tables.drivers,
            IndexName="byPreferredMall",
            KeyConditionExpression="preferredMall = :mall",
            ExpressionAttributeValues={":mall": {"S": mall_id}},
        )
        return [item["driverId"]["S"] for item in items]

    def standing_and_schedules(
        self, driver_ids: list[str]
    ) -> dict[str, tuple[dict[str, Any] | None, Schedule]]:
        """Each driver's standing item and schedule, read in batches of 50 drivers."""
        found: dict[str, tuple[dict[str, Any] | None, Schedule]] = {}
        for first in range(0, len(driver_ids), 50):
            chunk = driver_ids[first : first + 50]
            answer = batch_get(
                self._client,
                {
                    self.tables.standing: [{"driverId": {"S": d}} for d in chunk],
                    self.tables.drivers: [
                        {"driverId": {"S": d}, "entry": {"S": SCHEDULE}} for d in chunk
                    ],
                },
                consistent=True,
            )
            standings = {i["driverId"]["S"]: i for i in answer.get(self.tables.standing, [])}
            schedules = {i["driverId"]["S"]: i for i in answer.get(self.tables.drivers, [])}
            for driver in chunk:
                standing = plain_item(standings[driver]) if driver in standings else None
                found[driver] = (standing, _schedule_from_item(schedules.get(driver)))
        return found

    def driver_context(self, driver_id: str) -> tuple[dict[str, Any] | None, list[str], Schedule]:
        """A driver's standing item, preferred malls and schedule, read in one request."""
        key = {"driverId": {"S": driver_id}}
        found = batch_get(
            self._client,
            {
                self.tables.standing: [key],
                self.tables.drivers: [
                    {**key, "entry": {"S": PREFERENCES}},
                    {**key, "entry": {"S": SCHEDULE}},
                ],
            },
            consistent=True,
        )
        standing = found.get(self.tables.standing, [])
        entries = {i["entry"]["S"]: i for i in found.get(self.tables.drivers, [])}
        preferences = plain_item(entries[PREFERENCES]) if PREFERENCES in entries else {}
        return (
            plain_item(standing[0]) if standing else None,
            [str(mall) for mall in preferences.get("mallIds", [])],
            _schedule_from_item(entries.get(SCHEDULE)),
        )

    def standing_of(self, driver_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self.tables.standing, Key={"driverId": {"S": driver_id}}
        ).get("Item")
        return plain_item(item) if item else None

    # ------------------------------------------------------------------ bookings
    def accept_context(self, block: Block, driver_id: str) -> AcceptContext:
        keys = {
            self.tables.bookings: [booking_key(block.block_id, driver_id)],
            self.tables.reserved_offers: [booking_key(block.block_id, driver_id)],
            self.tables.standing: [{"driverId": {"S": driver_id}}],
            self.tables.drivers: [
                {"driverId": {"S": driver_id}, "entry": {"S": SCHEDULE}},
                {"driverId": {"S": driver_id}, "entry": {"S": PREFERENCES}},
            ],
        }
        found = batch_get(self._client, keys, consistent=True)
        bookings = found.get(self.tables.bookings, [])
        offers = found.get(self.tables.reserved_offers, [])
        standing = found.get(self.tables.standing, [])
        entries = {i["entry"]["S"]: i for i in found.get(self.tables.drivers, [])}
        preferences = plain_item(entries[PREFERENCES]) if PREFERENCES in entries else {}
        preferred = [str(mall) for mall in preferences.get("mallIds", [])]
        return AcceptContext(
            booking=unreadable.read(booking_from_item, bookings[0]) if bookings else None,
            offer=unreadable.read(offer_from_item, offers[0]) if offers else None,
            schedule=_schedule_from_item(entries.get(SCHEDULE)),
            standing=plain_item(standing[0]) if standing else None,
            prefers_mall=block.mall_id in preferred,
        )

    def _schedule_write(
        self, driver_id: str, schedule: Schedule, held: dict[str, tuple[datetime, datetime]]
    ) -> dict[str, Any]:
        spans = {b: {"start": iso(s), "end": iso(e)} for b, (s, e) in held.items()}
        if schedule.version == 0:
            condition, values = "attribute_not_exists(version)", {}
        else:
            condition, values = "version = :seen", {":seen": {"N": str(schedule.version)}}
        return {
            "Update": {
                "TableName": self.tables.drivers,
                "Key": {"driverId": {"S": driver_id}, "entry": {"S": SCHEDULE}},
                "UpdateExpression": "SET version = :next, held = :held",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": {
                    **values,
                    ":next": {"N": str(schedule.version + 1)},
                    ":held": to_attribute(spans),
                },
            }
        }

    def book(
        self,
        block: Block,
        booking: Booking,
        schedule: Schedule,
        held: dict[str, tuple[datetime, datetime]],
        offer: ReservedOffer | None,
    ) -> None:
        """Takes a place on the block for the booking: [block, booking, schedule, offer?] in one
        transaction. The block's condition is its capacity; TransactionRefused says which part
        failed."""
        now = {":now": {"S": iso(booking.accepted_at)}, ":one": {"N": "1"}}
        if offer is None:
            block_update = {
                "UpdateExpression": "SET held = held + :one, taken = taken + :one",
                "ConditionExpression": "taken < #capacity AND #start > :now",
                "ExpressionAttributeNames": {"#start": "start", "#capacity": "capacity"},
                "ExpressionAttributeValues": now,
            }
        else:  # the place was counted in `taken` when the offer was made
            block_update = {
                "UpdateExpression": (
                    "SET held = held + :one, reservedPending = reservedPending - :one"
                ),
                "ConditionExpression": "reservedPending > :zero AND #start > :now",
                "ExpressionAttributeNames": {"#start": "start"},
                "ExpressionAttributeValues": {**now, ":zero": {"N": "0"}},
            }
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.tables.blocks,
                    "Key": {"blockId": {"S": block.block_id}},
                    **block_update,
                }
            },
            {
                "Put": {
                    "TableName": self.tables.bookings,
                    "Item": booking_item(booking),
                    "ConditionExpression": "attribute_not_exists(driverId) OR #status = :forfeited",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":forfeited": {"S": "forfeited"}},
                }
            },
            self._schedule_write(booking.driver_id, schedule, held),
        ]
        if offer is not None:
            accepted = offer.model_copy(update={"status": "accepted"})
            writes.append(
                {
                    "Put": {
                        "TableName": self.tables.reserved_offers,
                        "Item": offer_item(accepted),
                        "ConditionExpression": "#status = :pending AND expiresAt > :now",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":pending": {"S": "pending"},
                            ":now": {"S": iso(booking.accepted_at)},
                        },
                    }
                }
            )
        transact(self._client, writes)

    def booking(self, block_id: str, driver_id: str) -> Booking | None:
        item = self._client.get_item(
            TableName=self.tables.bookings,
            Key=booking_key(block_id, driver_id),
            ConsistentRead=True,
        ).get("Item")
        return unreadable.read(booking_from_item, item) if item else None

    def schedule(self, driver_id: str) -> Schedule:
        item = self._client.get_item(
            TableName=self.tables.drivers,
            Key={"driverId": {"S": driver_id}, "entry": {"S": SCHEDULE}},
            ConsistentRead=True,
        ).get("Item")
        return _schedule_from_item(item)

    def forfeit(self, booking: Booking, forfeited: Booking, schedule: Schedule) -> None:
        """Gives the place back: [booking, block, schedule] in one transaction, only from held."""
        held = {b: span for b, span in schedule.held.items() if b != booking.block_id}
        transact(
            self._client,
            [
                {
                    "Put": {
                        "TableName": self.tables.bookings,
                        "Item": booking_item(forfeited),
                        "ConditionExpression": "#status = :held",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":held": {"S": "held"}},
                    }
                },
                {
                    "Update": {
                        "TableName": self.tables.blocks,
                        "Key": {"blockId": {"S": booking.block_id}},
                        "UpdateExpression": "SET held = held - :one, taken = taken - :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                self._schedule_write(booking.driver_id, schedule, held),
            ],
        )

    def change_booking(self, booking: Booking, changed: Booking) -> bool:
        """Replaces a booking if its status is still the one read; False otherwise."""
        try:
            self._client.put_item(
                TableName=self.tables.bookings,
                Item=booking_item(changed),
                ConditionExpression="#status = :seen",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":seen": {"S": booking.status}},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def bookings_of_driver(self, driver_id: str, after: datetime, until: datetime) -> list[Booking]:
        """The driver's bookings of blocks that start between the two moments."""
        items = self._by_start(self.tables.bookings, ("driverId", driver_id), after, until)
        return unreadable.read_all(booking_from_item, items)

    def bookings_starting_between(
        self, mall_id: str, after: datetime, until: datetime
    ) -> list[Booking]:
        items = self._by_start(self.tables.bookings, ("mallId", mall_id), after, until)
        return unreadable.read_all(booking_from_item, items)

    # ------------------------------------------------------------------ reserved offers
    def pending_offers_of(self, driver_id: str, now: datetime) -> list[ReservedOffer]:
        items = all_items(
            self._client,
            TableName=self.tables.reserved_offers,
            IndexName="pendingByDriver",
            KeyConditionExpression="offeredTo = :driver AND expiresAt > :now",
            ExpressionAttributeValues={":driver": {"S": driver_id}, ":now": {"S": iso(now)}},
        )
        return unreadable.read_all(offer_from_item, items)

    def expired_offers(self, mall_id: str, now: datetime) -> list[ReservedOffer]:
        items = all_items(
            self._client,
            TableName=self.tables.reserved_offers,
            IndexName="pendingByMall",
            KeyConditionExpression="pendingMall = :mall AND expiresAt <= :now",
            ExpressionAttributeValues={":mall": {"S": mall_id}, ":now": {"S": iso(now)}},
        )
        return unreadable.read_all(offer_from_item, items)

    def expire(self, offer: ReservedOffer) -> bool:
        """Returns the offer's place to the pool: [offer, block] in one transaction, once."""
        expired = offer.model_copy(update={"status": "expired"})
        try:
            transact(
                self._client,
                [
                    {
                        "Put": {
                            "TableName": self.tables.reserved_offers,
                            "Item": offer_item(expired),
                            "ConditionExpression": "#status = :pending",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {":pending": {"S": "pending"}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.tables.blocks,
                            "Key": {"blockId": {"S": offer.block_id}},
                            "UpdateExpression": (
                                "SET reservedPending = reservedPending - :one, taken = taken - :one"
                            ),
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ],
            )
        except TransactionRefused:
            return False
        return True

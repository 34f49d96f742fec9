"""The scheduled jobs of blocks: releases, surge, no-shows and reserved offers expiring.

Each walks the malls of the catalogue and, per mall, only the blocks, bookings or offers whose
moment has come: one query each, never a scan. Every step is a conditional write, so a job run
twice, or two runs at once, change each item once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from flexfleet.blocks import config
from flexfleet.blocks.model import Block, Booking, ReservedOffer
from flexfleet.blocks.pay import surge
from flexfleet.blocks.releases import releases_of
from flexfleet.blocks.repository import Schedule
from flexfleet.clock import Clock, utc_now
from flexfleet.malls.model import Mall
from flexfleet.tiers import StandingOf

# A no-show is looked for this far back, so that a missed run loses nothing.
NO_SHOW_LOOKBACK = timedelta(days=1)


class Catalogue(Protocol):
    def all(self) -> list[Mall]: ...


class JobStore(Protocol):
    def upcoming_blocks(self, mall_id: str, after: datetime) -> list[Block]: ...
    def blocks_starting_between(
        self, mall_id: str, after: datetime, until: datetime
    ) -> list[Block]: ...
    def mark_released(self, block: Block, released_to: int) -> bool: ...
    def raise_surge(self, block: Block, surge: Decimal) -> bool: ...
    def bookings_starting_between(
        self, mall_id: str, after: datetime, until: datetime
    ) -> list[Booking]: ...
    def change_booking(self, booking: Booking, changed: Booking) -> bool: ...
    def standing_and_schedules(
        self, driver_ids: list[str]
    ) -> dict[str, tuple[dict[str, Any] | None, Schedule]]: ...
    def expired_offers(self, mall_id: str, now: datetime) -> list[ReservedOffer]: ...
    def expire(self, offer: ReservedOffer) -> bool: ...


class BlockJobs:
    def __init__(
        self, blocks: JobStore, malls: Catalogue, standing_of: StandingOf, clock: Clock = utc_now
    ) -> None:
        self._blocks = blocks
        self._malls = malls
        self._standing_of = standing_of
        self._clock = clock

    def release(self) -> int:
        """Marks each block released to every tier whose time has come (`releasedTo`): a change
        on the blocks stream at the moment a tier may first see the block, for live offers to
        push. How many blocks reached a new tier."""
        now = self._clock()
        moved = 0
        for mall in self._malls.all():
            for block in self._blocks.upcoming_blocks(mall.mall_id, now):
                reached = sum(1 for moment in releases_of(block).values() if moment <= now)
                if reached > block.released_to and self._blocks.mark_released(block, reached):
                    moved += 1
        return moved

    def surge(self) -> int:
        """Raises the pay of unfilled blocks as their start nears. How many rose."""
        now = self._clock()
        horizon = max(before for before, _ in config.SURGE_STEPS)
        risen = 0
        for mall in self._malls.all():
            for block in self._blocks.blocks_starting_between(mall.mall_id, now, now + horizon):
                step = surge(block.base_rate, block.start, now)
                unfilled = block.taken < block.capacity
                if unfilled and step > block.surge and self._blocks.raise_surge(block, step):
                    risen += 1
        return risen

    def no_shows(self) -> int:
        """Marks the bookings not checked in by the time check-in closed. How many."""
        now = self._clock()
        closed = now - config.CHECK_IN_CLOSES
        marked = 0
        for mall in self._malls.all():
            missed_bookings = [
                b
                for b in self._blocks.bookings_starting_between(
                    mall.mall_id, closed - NO_SHOW_LOOKBACK, closed
                )
                if b.status == "held"
            ]
            # A driver deactivated after a review was barred from checking in: not a no-show.
            standings = self._blocks.standing_and_schedules(
                sorted({b.driver_id for b in missed_bookings})
            )
            for booking in missed_bookings:
                standing_item, _ = standings[booking.driver_id]
                if self._standing_of(booking.driver_id, standing_item).deactivated:
                    continue
                missed = booking.model_copy(update={"status": "no_show", "no_show_at": now})
                if self._blocks.change_booking(booking, missed):
                    marked += 1
        return marked

    def expire_offers(self) -> int:
        """Returns the places of reserved offers whose window closed to the pool. How many."""
        now = self._clock()
        expired = 0
        for mall in self._malls.all():
            for offer in self._blocks.expired_offers(mall.mall_id, now):
                if self._blocks.expire(offer):
                    expired += 1
        return expired

"""Publishing blocks, offering them best standing first, and booking, forfeiting and checking in."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flexfleet.api_model import same_request
from flexfleet.blocks import config
from flexfleet.blocks.model import (
    Block,
    BlockOut,
    BlockRequest,
    Booking,
    BookingOut,
    DriverBlocks,
    DriverPreferences,
    Earnings,
    Offer,
    OfferList,
    Preferences,
    ReservedOffer,
    ShiftType,
    ShiftTypeList,
)
from flexfleet.blocks.pay import base_rate, hours, is_premium, pay, shown, shown_hours
from flexfleet.blocks.releases import (
    may_see,
    release_times,
    releases_of,
    reserved_order,
    reserved_places,
)
from flexfleet.blocks.repository import AcceptContext, Schedule
from flexfleet.clock import Clock, utc_now
from flexfleet.dynamodb.transactions import TransactionRefused, back_off
from flexfleet.errors import (
    BlockFull,
    Conflict,
    Deactivated,
    IllegalTransition,
    NotFound,
    Overlap,
    Unprocessable,
)
from flexfleet.geo import Point, distance_km
from flexfleet.identity import Caller, Role
from flexfleet.malls.model import Mall
from flexfleet.tiers import StandingOf, Tier

# A transaction refused because another was writing the same block or schedule at that moment
# (or a second accept of the same driver won) is read again and retried, after a short jittered
# pause, this many times.
RETRIES = 8


class Malls(Protocol):
    def get(self, mall_id: str) -> Mall | None: ...


class BlockStore(Protocol):
    def publish(self, block: Block, offers: list[ReservedOffer]) -> Block | None:
        """None if new; else the stored block with that id (None too if unreadable)."""

    def block(self, block_id: str) -> Block | None: ...
    def upcoming_blocks(self, mall_id: str, after: datetime) -> list[Block]: ...
    def preferred_malls(self, driver_id: str) -> list[str]: ...
    def set_preferences(self, driver_id: str, mall_ids: list[str]) -> None: ...
    def drivers_preferring(self, mall_id: str) -> list[str]: ...
    def standing_and_schedules(
        self, driver_ids: list[str]
    ) -> dict[str, tuple[dict[str, Any] | None, Schedule]]: ...
    def standing_of(self, driver_id: str) -> dict[str, Any] | None: ...
    def driver_context(
        self, driver_id: str
    ) -> tuple[dict[str, Any] | None, list[str], Schedule]: ...
    def accept_context(self, block: Block, driver_id: str) -> AcceptContext: ...
    def book(
        self,
        block: Block,
        booking: Booking,
        schedule: Schedule,
        held: dict[str, tuple[datetime, datetime]],
        offer: ReservedOffer | None,
    ) -> None: ...
    def booking(self, block_id: str, driver_id: str) -> Booking | None: ...
    def schedule(self, driver_id: str) -> Schedule: ...
    def forfeit(self, booking: Booking, forfeited: Booking, schedule: Schedule) -> None: ...
    def change_booking(self, booking: Booking, changed: Booking) -> bool: ...
    def bookings_of_driver(
        self, driver_id: str, after: datetime, until: datetime
    ) -> list[Booking]: ...
    def pending_offers_of(self, driver_id: str, now: datetime) -> list[ReservedOffer]: ...


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def block_view(block: Block) -> BlockOut:
    rate = block.base_rate + block.surge
    return BlockOut(
        block_id=block.block_id,
        mall_id=block.mall_id,
        shift_type=block.shift_type,
        start=block.start,
        end=block.end,
        time_zone=block.time_zone,
        local_start=_local(block.start, block.time_zone),
        local_end=_local(block.end, block.time_zone),
        hours=shown_hours(block.start, block.end),
        hourly_rate=rate,
        base_rate=block.base_rate,
        surge=block.surge,
        pay=pay(rate, block.start, block.end),
        premium=block.premium,
        capacity=block.capacity,
        available=max(0, block.capacity - block.taken),
        releases=block.releases,
        published_at=block.published_at,
    )


def booking_view(booking: Booking, now: datetime) -> BookingOut:
    if booking.end <= now or booking.status in ("forfeited", "no_show"):
        phase = "past"
    elif booking.start <= now and booking.status == "checked_in":
        phase = "active"
    else:
        phase = "upcoming"
    return BookingOut(
        **booking.model_dump(),
        local_start=_local(booking.start, booking.time_zone),
        local_end=_local(booking.end, booking.time_zone),
        hours=shown_hours(booking.start, booking.end),
        pay=pay(booking.hourly_rate, booking.start, booking.end),
        phase=phase,
    )


def shift_types() -> ShiftTypeList:
    return ShiftTypeList(
        shift_types=[
            ShiftType(
                shift_type=name,
                hourly_rate=rate,
                premium=is_premium(name),
                description=text,
            )
            for name, (rate, text) in config.SHIFT_TYPES.items()
        ],
        max_hourly_rate=config.MAX_HOURLY_RATE,
    )


class BlockService:
    def __init__(
        self, blocks: BlockStore, malls: Malls, standing_of: StandingOf, clock: Clock = utc_now
    ) -> None:
        self._blocks = blocks
        self._malls = malls
        self._standing_of = standing_of
        self._clock = clock

    # ------------------------------------------------------------------ catalogue
    def shift_types(self, caller: Caller) -> ShiftTypeList:
        caller.require(*Role)
        return shift_types()

    # ------------------------------------------------------------------ publishing
    def publish(self, caller: Caller, request: BlockRequest) -> tuple[BlockOut, bool]:
        """The block and whether it is new. The same body again changes nothing."""
        caller.require(Role.OPS, Role.SYSTEM)
        now = self._clock()
        stored = self._blocks.block(request.block_id)
        if stored is not None:
            return self._republished(stored, request)
        mall = self._malls.get(request.mall_id)
        if mall is None:
            raise Unprocessable(f"no mall {request.mall_id}", field="mallId")
        lead = request.start - now
        if not config.MIN_LEAD_TIME <= lead <= config.MAX_LEAD_TIME:
            raise Unprocessable(
                f"a block is published {config.MIN_LEAD_TIME.seconds // 3600} hours to "
                f"{config.MAX_LEAD_TIME.days} days before it starts",
                field="start",
            )
        base = base_rate(request.shift_type)
        releases = release_times(now, request.start)
        block = Block(
            **request.model_dump(),
            time_zone=mall.time_zone,
            base_rate=base,
            surge=Decimal("0.00"),
            premium=is_premium(request.shift_type),
            releases={tier.label: moment for tier, moment in releases.items()},
            published_at=now,
            published_by=caller.sub,
        )
        offers = self._reserved_offers(block, now)
        block = block.model_copy(update={"reserved_pending": len(offers), "taken": len(offers)})
        existing = self._blocks.publish(block, offers)
        if existing is not None:
            return self._republished(existing, request)
        return block_view(block), True

    def _republished(self, stored: Block, request: BlockRequest) -> tuple[BlockOut, bool]:
        if not same_request(stored, request):
            raise Conflict(
                f"block {request.block_id} was already published with other details",
                field="blockId",
            )
        return block_view(stored), False

    def _reserved_offers(self, block: Block, now: datetime) -> list[ReservedOffer]:
        """Reserved offers for the Fantastic drivers who prefer the mall and are free then."""
        places = reserved_places(block.capacity)
        if not places:
            return []
        candidates = self._blocks.drivers_preferring(block.mall_id)
        details = self._blocks.standing_and_schedules(candidates)
        chosen = []
        for driver in reserved_order(block.block_id, candidates):
            standing_item, schedule = details[driver]
            standing = self._standing_of(driver, standing_item)
            free = not any(
                start < block.end and block.start < end for start, end in schedule.held.values()
            )
            if standing.tier is Tier.FANTASTIC and not standing.deactivated and free:
                chosen.append(driver)
            if len(chosen) == places:
                break
        return [
            ReservedOffer(
                block_id=block.block_id,
                driver_id=driver,
                mall_id=block.mall_id,
                offered_at=now,
                expires_at=min(now + config.RESERVED_WINDOW, block.start),
                status="pending",
            )
            for driver in chosen
        ]

    # ------------------------------------------------------------------ offers
    def set_preferences(
        self, caller: Caller, driver_id: str, preferences: Preferences
    ) -> DriverPreferences:
        self._own_driver_record(caller, driver_id)
        for mall_id in preferences.mall_ids:
            if self._malls.get(mall_id) is None:
                raise Unprocessable(f"no mall {mall_id}", field="mallIds")
        for attempt in range(RETRIES):
            try:
                self._blocks.set_preferences(driver_id, preferences.mall_ids)
                break
            except TransactionRefused:  # another change of them won: read again
                back_off(attempt)
        else:
            raise Conflict("your preferences kept changing meanwhile: try again", field="mallIds")
        return DriverPreferences(driver_id=driver_id, mall_ids=preferences.mall_ids)

    def preferences(self, caller: Caller, driver_id: str) -> DriverPreferences:
        self._own_driver_record(caller, driver_id)
        return DriverPreferences(
            driver_id=driver_id, mall_ids=sorted(self._blocks.preferred_malls(driver_id))
        )

    def offers(self, caller: Caller, driver_id: str) -> OfferList:
        """The blocks the driver may accept now: reserved offers first, then the pool, at the
        driver's preferred malls only. Reads: the driver's standing, preferences and schedule in
        one batch, the pending reserved offers, and one query per preferred mall, bounded by that
        mall's upcoming blocks: never a read per block, and nothing of the other malls."""
        self._own_driver_record(caller, driver_id)
        now = self._clock()
        standing_item, malls, schedule = self._blocks.driver_context(driver_id)
        standing = self._standing_of(driver_id, standing_item)
        if standing.deactivated:
            return OfferList(driver_id=driver_id, tier=standing.tier.label, offers=[])
        holding = set(schedule.held)
        upcoming = {
            block.block_id: block
            for mall in malls
            for block in self._blocks.upcoming_blocks(mall, now)
        }
        reserved = [
            o
            for o in self._blocks.pending_offers_of(driver_id, now)
            if o.block_id in upcoming
            and not (upcoming[o.block_id].premium and standing.tier is Tier.AT_RISK)
        ]
        offers = [
            Offer(block=block_view(upcoming[o.block_id]), reserved=True, expires_at=o.expires_at)
            for o in sorted(reserved, key=lambda o: o.expires_at)
        ]
        reserved_ids = {o.block_id for o in reserved}
        pool = [
            block
            for block in upcoming.values()
            if block.block_id not in reserved_ids | holding
            and may_see(standing.tier, block.premium, releases_of(block), now)
            and block.taken < block.capacity
        ]
        offers += [
            Offer(block=block_view(b), reserved=False, expires_at=None)
            for b in sorted(pool, key=lambda b: (b.start, b.block_id))
        ]
        return OfferList(driver_id=driver_id, tier=standing.tier.label, offers=offers)

    # ------------------------------------------------------------------ booking
    def accept(self, caller: Caller, block_id: str) -> tuple[BookingOut, bool]:
        """The booking and whether it is new: accepting a block held already changes nothing.
        A block the driver may not see yet is 404, as if it did not exist."""
        caller.require(Role.DRIVER)
        driver_id = caller.sub
        for attempt in range(RETRIES):
            now = self._clock()
            block = self._blocks.block(block_id)
            if block is None:
                raise NotFound(f"no block {block_id}", field="blockId")
            context = self._blocks.accept_context(block, driver_id)
            if context.booking is not None and context.booking.status != "forfeited":
                return booking_view(context.booking, now), False
            offer = self._acceptable(block, context, driver_id, now)
            booking = Booking(
                block_id=block_id,
                driver_id=driver_id,
                mall_id=block.mall_id,
                shift_type=block.shift_type,
                start=block.start,
                end=block.end,
                time_zone=block.time_zone,
                status="held",
                hourly_rate=block.base_rate + block.surge,
                base_rate=block.base_rate,
                accepted_at=now,
                reserved=offer is not None,
            )
            held = {b: span for b, span in context.schedule.held.items() if span[1] > now}
            held[block_id] = (block.start, block.end)
            try:
                self._blocks.book(block, booking, context.schedule, held, offer)
            except TransactionRefused as refused:
                if refused.failed(0):
                    raise BlockFull(f"block {block_id} is full", field="blockId") from refused
                # The booking, the schedule or the offer moved under us: read again.
                back_off(attempt)
                continue
            return booking_view(booking, now), True
        raise Conflict("the block is busy: try again", field="blockId")

    def _acceptable(
        self, block: Block, context: AcceptContext, driver_id: str, now: datetime
    ) -> ReservedOffer | None:
        """Refuses an accept the driver may not make; the reserved offer it uses, if any."""
        standing = self._standing_of(driver_id, context.standing)
        offer = context.offer
        if offer is None or offer.status != "pending" or offer.expires_at <= now:
            offer = None
        if offer is not None and block.premium and standing.tier is Tier.AT_RISK:
            offer = None  # fallen to At Risk since it was made: no premium work
        visible = may_see(standing.tier, block.premium, releases_of(block), now)
        if standing.deactivated or not context.prefers_mall or not (offer or visible):
            raise NotFound(f"no block {block.block_id}", field="blockId")
        if block.start <= now:
            raise IllegalTransition(f"block {block.block_id} has started", field="blockId")
        clashing = [
            other
            for other, (start, end) in context.schedule.held.items()
            if other != block.block_id and start < block.end and block.start < end
        ]
        if clashing:
            raise Overlap(
                f"block {block.block_id} overlaps block {clashing[0]}, which you hold",
                field="blockId",
            )
        return offer

    def forfeit(self, caller: Caller, block_id: str) -> BookingOut:
        """Gives the place back. Within FORFEIT_NOTICE of the start it is a late forfeit, which
        counts against reliability. Forfeiting again answers the forfeited booking."""
        caller.require(Role.DRIVER)
        for attempt in range(RETRIES):
            now = self._clock()
            booking = self._held_booking(caller, block_id)
            if booking.status == "forfeited":
                return booking_view(booking, now)
            if booking.status != "held" or booking.start <= now:
                raise IllegalTransition(
                    f"block {block_id} can no longer be forfeited: it is {booking.status}"
                    + (" and has started" if booking.start <= now else ""),
                    field="blockId",
                )
            forfeited = booking.model_copy(
                update={
                    "status": "forfeited",
                    "forfeited_at": now,
                    "late_forfeit": now > booking.start - config.FORFEIT_NOTICE,
                }
            )
            try:
                self._blocks.forfeit(booking, forfeited, self._blocks.schedule(caller.sub))
            except TransactionRefused:
                back_off(attempt)
                continue
            return booking_view(forfeited, now)
        raise Conflict("the booking changed while forfeiting: try again", field="blockId")

    def check_in(self, caller: Caller, block_id: str, where: Point) -> BookingOut:
        """At the mall, from CHECK_IN_OPENS before the start until CHECK_IN_CLOSES after it."""
        caller.require(Role.DRIVER)
        now = self._clock()
        booking = self._held_booking(caller, block_id)
        if booking.status == "checked_in":
            return booking_view(booking, now)
        if booking.status != "held":
            raise IllegalTransition(
                f"block {block_id} can't be checked in to: it is {booking.status}",
                field="blockId",
            )
        if self._standing_of(caller.sub, self._blocks.standing_of(caller.sub)).deactivated:
            raise Deactivated("your account is deactivated: you can't check in until reinstated")
        opens, closes = (
            booking.start - config.CHECK_IN_OPENS,
            booking.start + config.CHECK_IN_CLOSES,
        )
        if not opens <= now <= closes:
            raise Unprocessable(
                f"check-in is open from {opens.isoformat()} to {closes.isoformat()}",
                field="blockId",
            )
        mall = self._malls.get(booking.mall_id)
        if mall is None or distance_km(mall.location, where) > config.GEOFENCE_KM:
            raise Unprocessable(
                f"check in at the mall: within {config.GEOFENCE_KM} km of it", field="lat"
            )
        checked_in = booking.model_copy(update={"status": "checked_in", "checked_in_at": now})
        if not self._blocks.change_booking(booking, checked_in):
            stored = self._held_booking(caller, block_id)
            if stored.status != "checked_in":
                raise IllegalTransition(f"block {block_id} changed: it is {stored.status}")
            return booking_view(stored, now)
        return booking_view(checked_in, now)

    def _held_booking(self, caller: Caller, block_id: str) -> Booking:
        booking = self._blocks.booking(block_id, caller.sub)
        if booking is None:
            raise NotFound(f"you hold no block {block_id}", field="blockId")
        return booking

    # ------------------------------------------------------------------ reading
    def driver_blocks(self, caller: Caller, driver_id: str) -> DriverBlocks:
        self._driver_or_ops(caller, driver_id)
        now = self._clock()
        bookings = self._blocks.bookings_of_driver(
            driver_id, now - config.PAST_BLOCKS_SHOWN, now + config.MAX_LEAD_TIME
        )
        views = [booking_view(b, now) for b in sorted(bookings, key=lambda b: b.start)]
        return DriverBlocks(
            upcoming=[v for v in views if v.phase == "upcoming"],
            active=[v for v in views if v.phase == "active"],
            past=[v for v in reversed(views) if v.phase == "past"],
        )

    def earnings(
        self, caller: Caller, driver_id: str, period_from: datetime, period_to: datetime
    ) -> Earnings:
        """Blocks worked (checked in, and ended) that started in [from, to)."""
        self._driver_or_ops(caller, driver_id)
        if period_to <= period_from:
            raise Unprocessable("to must be after from", field="to")
        if period_to - period_from > config.MAX_EARNINGS_SPAN:
            raise Unprocessable(
                f"at most {config.MAX_EARNINGS_SPAN.days} days at a time", field="to"
            )
        now = self._clock()
        worked = [
            b
            for b in self._blocks.bookings_of_driver(
                driver_id, period_from, period_to - timedelta(microseconds=1)
            )
            if b.status == "checked_in" and b.end <= now
        ]
        base = sum((pay(b.base_rate, b.start, b.end) for b in worked), Decimal("0.00"))
        total_rate = sum((pay(b.hourly_rate, b.start, b.end) for b in worked), Decimal("0.00"))
        tips = sum((b.tips for b in worked), Decimal("0.00"))
        return Earnings.model_validate(
            {
                "driverId": driver_id,
                "from": period_from,
                "to": period_to,
                "blocksWorked": len(worked),
                "hours": shown(sum((hours(b.start, b.end) for b in worked), Decimal(0))),
                "basePay": base,
                "surge": total_rate - base,
                "tips": tips,
                "total": total_rate + tips,
            }
        )

    # ------------------------------------------------------------------ who may
    @staticmethod
    def _own_driver_record(caller: Caller, driver_id: str) -> None:
        caller.require(Role.DRIVER)
        if caller.sub != driver_id:
            raise NotFound(f"no driver {driver_id}", field="driverId")

    @staticmethod
    def _driver_or_ops(caller: Caller, driver_id: str) -> None:
        caller.require(Role.DRIVER, Role.OPS)
        if Role.OPS not in caller.roles and caller.sub != driver_id:
            raise NotFound(f"no driver {driver_id}", field="driverId")

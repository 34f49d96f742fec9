"""The dispatch engine's state for one mall at one run: retail orders and bookings on duty as
minutes from the run's `now` and metres from the mall. Pure: no I/O and no clock.

- Every store of a mall is at the mall's location; a drop-off is projected around it.
- Travel is a straight line at retail's configured speed; the pickup takes its time after the
  order is ready, and the handover its time at the door (retail/config.py).
- A driver holding a trip is planned to be free where and when it ends (the booking keeps the
  plan), and gets no other until then (`queues=False`). One late on it is planned free
  LATE_GRACE from now, never now: the engine would commit a trip to a driver free now, and the
  booking would refuse it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flexfleet.blocks.model import Booking
from flexfleet.dispatch.config import LATE_GRACE, LATE_LIMIT
from flexfleet.dispatch.state import Driver, OpenOrder, Place, Service
from flexfleet.geo import Point, metres_east_north
from flexfleet.retail import config as retail
from flexfleet.retail.model import Order
from flexfleet.tiers import Tier

METRES_PER_MINUTE = retail.TRAVEL_SPEED_KMH * 1000 / 60
SERVICE = Service(
    pickup_before=0.0,
    pickup_after=retail.PICKUP_TIME / timedelta(minutes=1),
    dropoff_before=retail.DROPOFF_TIME / timedelta(minutes=1),
    dropoff_after=0.0,
)
STORE = Place(0.0, 0.0)  # the mall: the origin of its plane


@dataclass(frozen=True)
class OnDuty:
    """A driver's booking at the mall, checked in and not ended, and the driver's tier."""

    booking: Booking
    tier: Tier


def minutes_after(now: datetime, moment: datetime) -> float:
    return (moment - now) / timedelta(minutes=1)


def moment_at(now: datetime, minutes: float) -> datetime:
    return now + timedelta(minutes=minutes)


def place_of(mall: Point, point: Point) -> Place:
    east, north = metres_east_north(mall, point)
    return Place(east, north)


def open_orders(mall: Point, orders: Iterable[Order], now: datetime) -> list[OpenOrder]:
    return [
        OpenOrder(
            order_id=o.order_id,
            store_id=o.retailer_id,
            store=STORE,
            dropoff=place_of(mall, o.dropoff),
            placed=minutes_after(now, o.placed_at),
            ready=minutes_after(now, o.ready_at),
            deadline=minutes_after(now, o.deliver_by),
        )
        for o in orders
    ]


def one_booking_each(on_duty: Iterable[OnDuty]) -> dict[str, OnDuty]:
    """One booking per driver: back-to-back blocks may put two of a driver's bookings on duty
    at once. The one holding work stands for them, else the one that started first."""
    chosen: dict[str, OnDuty] = {}
    for duty in sorted(on_duty, key=lambda d: (not d.booking.current_order_ids, d.booking.start)):
        chosen.setdefault(duty.booking.driver_id, duty)
    return chosen


def drivers(mall: Point, on_duty: Iterable[OnDuty], now: datetime) -> list[Driver]:
    """The engine's drivers, one per booking (see one_booking_each), but for a driver over
    LATE_LIMIT past the planned end of their trip: nobody knows when they will be free."""
    return [_driver(mall, duty, now) for duty in on_duty if not _overdue(duty.booking, now)]


def _overdue(booking: Booking, now: datetime) -> bool:
    return (
        bool(booking.current_order_ids)
        and booking.busy_until is not None
        and now - booking.busy_until > LATE_LIMIT
    )


def _driver(mall: Point, duty: OnDuty, now: datetime) -> Driver:
    booking = duty.booking
    rank = int(Tier.FANTASTIC) - int(duty.tier)  # the engine's 0 is the best tier
    # Where the last trip ended, if there was one; else the mall, where the driver checked in.
    place = place_of(mall, booking.last_dropoff) if booking.last_dropoff else STORE
    free_from = max(0.0, minutes_after(now, booking.start))
    busy = bool(booking.current_order_ids)
    if busy:
        # A booking held before busyUntil was kept has no plan: it counts as late.
        planned = minutes_after(now, booking.busy_until) if booking.busy_until else 0.0
        free_from = max(free_from, planned, LATE_GRACE / timedelta(minutes=1))
    return Driver(
        driver_id=booking.driver_id,
        place=place,
        free_from=free_from,
        off=minutes_after(now, booking.end),
        tier=rank,
        queues=not busy,
    )

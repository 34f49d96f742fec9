"""Pay, computed up front: the shift type's rate, its surge as the start nears, rate × hours.

Pure: no I/O and no clock; the caller passes `now`. Every parameter is in config.py.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flexfleet.blocks import config
from flexfleet.money import cents

SECONDS_PER_HOUR = Decimal(3600)
HUNDREDTH = Decimal("0.01")


def base_rate(shift_type: str) -> Decimal:
    return config.SHIFT_TYPES[shift_type][0]


def is_premium(shift_type: str) -> bool:
    """Above the lowest rate: At Risk never sees it."""
    return base_rate(shift_type) > min(rate for rate, _ in config.SHIFT_TYPES.values())


def surge(base: Decimal, start: datetime, now: datetime) -> Decimal:
    """The surge an unfilled block has reached at `now`: the last step whose time has come,
    cut so that the rate never passes MAX_HOURLY_RATE."""
    reached = [step for before, step in config.SURGE_STEPS if now >= start - before]
    return min(max(reached, default=Decimal("0.00")), config.MAX_HOURLY_RATE - base)


def hours(start: datetime, end: datetime) -> Decimal:
    """Hours actually worked, from the UTC instants: a block across a change to daylight saving
    time is an hour shorter than its wall-clock times suggest."""
    return Decimal(int((end - start).total_seconds())) / SECONDS_PER_HOUR


def shown(hours_worked: Decimal) -> Decimal:
    """Hours as the API shows them, to the hundredth (36 seconds): pay is computed from the
    exact hours, never from these."""
    return hours_worked.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def shown_hours(start: datetime, end: datetime) -> Decimal:
    return shown(hours(start, end))


def pay(rate: Decimal, start: datetime, end: datetime) -> Decimal:
    return cents(rate * hours(start, end))

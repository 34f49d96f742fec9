"""An instant offer's pay, computed up front: an hourly rate over the estimated time.

Pure: no I/O and no clock. Every parameter is in config.py; the driving speed and the stops
are retail's (retail/estimates.py), so an offer's estimate and the customer's ETA agree.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from flexfleet.geo import Point, distance_km
from flexfleet.instant_offers import config
from flexfleet.money import cents
from flexfleet.retail import config as retail_config
from flexfleet.retail.estimates import dispatch_time


def hourly_rate(refusals: int) -> Decimal:
    """The base rate, plus a step for each earlier offer of the order that was declined or
    expired, kept within [MIN_HOURLY_RATE, MAX_HOURLY_RATE]."""
    rate = config.BASE_HOURLY_RATE + config.RATE_STEP_PER_REFUSAL * max(0, refusals)
    return max(config.MIN_HOURLY_RATE, min(config.MAX_HOURLY_RATE, rate))


def pickup_travel(driver: Point, mall: Point) -> timedelta:
    """From where the driver is to the mall, at retail's driving speed."""
    return timedelta(hours=distance_km(driver, mall) / retail_config.TRAVEL_SPEED_KMH)


def estimated_minutes(driver: Point, mall: Point, dropoff: Point) -> int:
    """The work the offer pays for, rounded up to whole minutes: the drive to the mall, then
    pickup, the drive to the door and the handover."""
    total = pickup_travel(driver, mall) + dispatch_time(mall, dropoff)
    return max(1, math.ceil(total.total_seconds() / 60))


def pay(rate: Decimal, minutes: int) -> Decimal:
    """The rate over the estimated minutes, to the cent."""
    return cents(rate * minutes / 60)

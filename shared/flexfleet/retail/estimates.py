"""How long an order takes from the store to the door, for the customer's ETA. Pure: no I/O and
no clock. Its parameters are in config.py."""

from __future__ import annotations

from datetime import timedelta

from flexfleet.geo import Point, distance_km
from flexfleet.retail import config


def trip_time(mall: Point, dropoff: Point) -> timedelta:
    """From the store to the door, handover included, at the configured speed."""
    travel = timedelta(hours=distance_km(mall, dropoff) / config.TRAVEL_SPEED_KMH)
    return travel + config.DROPOFF_TIME


def dispatch_time(mall: Point, dropoff: Point) -> timedelta:
    """From a driver at the store to the order at the door: pickup, travel and handover."""
    return config.PICKUP_TIME + trip_time(mall, dropoff)

"""What the dispatch engine decides on, and what it decides: plain values, no I/O, no clock.

Times are minutes on the caller's own clock (MDRP minutes of the day, or minutes from a run's
`now` for retail); places are metres on a local plane (the caller projects latitude and
longitude). The same engine serves the DispatchFunction and the MDRP replay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Place:
    x: float  # metres east
    y: float  # metres north


@dataclass(frozen=True)
class OpenOrder:
    """An order placed and not yet assigned."""

    order_id: str
    store_id: str
    store: Place
    dropoff: Place
    placed: float
    ready: float
    deadline: float  # the latest drop-off; past it, the order is not dispatched


@dataclass(frozen=True)
class Driver:
    """A driver on shift. `place` and `free_from` are where and when their current work ends
    (their position and now, if they have none)."""

    driver_id: str
    place: Place
    free_from: float
    off: float  # picks nothing up after this
    tier: int = 0  # 0 is the best tier; see config.TIER_TOLERANCE
    # Whether the driver may be given their next job before finishing the current one (MDRP
    # couriers may). One who may not is counted for reasons, and assigned only once free.
    queues: bool = True
    # Pay: orders beyond the `covered` ones that the driver's guaranteed pay already pays for
    # cost `order_pay` each (an MDRP courier earns the larger of $10 an order and $15 an hour).
    # Retail blocks pay by the hour, so every order is covered.
    covered: float = math.inf
    order_pay: float = 0.0
    # Whether the driver's time past `off` counts for nothing. The MDRP's rules let a courier
    # drop off after their off-time, and its objective gives that time no value, so while
    # drivers are short the engine gives the trips that run past it to couriers about to go
    # off. For a block driver that time would be unpaid overtime, which the product must not
    # encourage: it is priced like any other minute, and nobody is steered into it.
    free_after_off: bool = False


@dataclass(frozen=True)
class Service:
    """How long a stop takes, split around the moment that counts: a pickup happens at
    max(ready, arrival + pickup_before), and the driver leaves pickup_after later; a drop-off
    happens dropoff_before after arrival, and the driver leaves dropoff_after later."""

    pickup_before: float
    pickup_after: float
    dropoff_before: float
    dropoff_after: float


@dataclass(frozen=True)
class Assignment:
    """A driver and a bundle of orders from one store, with the plan they were chosen on."""

    driver_id: str
    store_id: str
    order_ids: tuple[str, ...]  # in drop-off order
    depart: float  # when the driver sets off for the store
    pickup: float
    dropoffs: tuple[float, ...]  # one per order, in order
    free_at: float  # when the driver leaves the last door


Reason = Literal["no_driver_in_reach", "drivers_busy", "past_deadline"]


@dataclass(frozen=True)
class Unassigned:
    """An order the engine could not place, and why: no driver on shift can reach it by its
    deadline; every driver who could is busy until `until`; or its deadline can no longer be
    met by anyone, even a driver standing at the store."""

    order_id: str
    reason: Reason
    until: float | None = None  # for drivers_busy: the earliest a driver who could serve is free


@dataclass
class Decision:
    assignments: list[Assignment] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    # Orders held back on purpose: a driver can still make them in time, and waiting may find a
    # better match or bundle. They carry no reason.
    held: list[str] = field(default_factory=list)

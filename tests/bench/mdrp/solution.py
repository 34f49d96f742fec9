"""The three solution files the official evaluator reads, and the figures it would report.

Its quirks (the instance README): the first line of each file is always dropped as a header;
fields are separated by single spaces; each courier's moves are consecutive lines, in order;
origin 0 is the courier's start point.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.bench.mdrp.simulate import Replay


def write_solution(result: Replay, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = ["assignment_time pickup_time courier orders"]
    lines += [
        f"{t.assigned_at} {t.pickup} {t.courier_id} {' '.join(t.order_ids)}" for t in result.trips
    ]
    (out / "solution_info_assignments.txt").write_text("\n".join(lines) + "\n")

    delivered = {
        order_id: (trip, drop)
        for trip in result.trips
        for order_id, drop in zip(trip.order_ids, trip.dropoffs, strict=True)
    }
    lines = ["order placement_time ready_time pickup_time dropoff_time courier"]
    for order in sorted(result.instance.orders.values(), key=lambda o: o.order_id):
        if order.order_id in delivered:
            trip, drop = delivered[order.order_id]
            tail = f"{trip.pickup} {drop} {trip.courier_id}"
        else:
            tail = "nan nan nan"
        lines.append(f"{order.order_id} {order.placed} {order.ready} {tail}")
    (out / "solution_info_orders.txt").write_text("\n".join(lines) + "\n")

    lines = ["courier departure_time origin destination"]
    for state in sorted(result.couriers.values(), key=lambda s: s.courier_id):
        lines += [f"{m.courier_id} {m.departure} {m.origin} {m.destination}" for m in state.moves]
    (out / "solution_info_couriers.txt").write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class Figures:
    orders: int
    undelivered_pct: float
    click_to_door_mean: float
    click_to_door_p90: float
    overage_mean: float
    ready_to_pickup_mean: float
    cost_per_order: float
    orders_per_bundle: float
    over_max: int
    round_p50_ms: float
    round_p99_ms: float
    round_max_ms: float


def _p(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def figures(result: Replay) -> Figures:
    """The evaluator's figures, computed the same way: payment per courier is the larger of
    pay per order and pay per hour on shift; overage is minutes past the target."""
    instance = result.instance
    c2d, r2p = [], []
    served: dict[str, int] = {}
    for trip in result.trips:
        served[trip.courier_id] = served.get(trip.courier_id, 0) + len(trip.order_ids)
        for order_id, drop in zip(trip.order_ids, trip.dropoffs, strict=True):
            order = instance.orders[order_id]
            c2d.append(drop - order.placed)
            r2p.append(trip.pickup - order.ready)
    pay = sum(
        max(served.get(c.courier_id, 0) * instance.pay_per_order,
            (c.off - c.on) * instance.pay_per_hour / 60)
        for c in instance.couriers.values()
    )  # fmt: skip
    delivered = len(c2d)
    rounds = [s * 1000 for s in result.round_seconds] or [0.0]
    return Figures(
        orders=len(instance.orders),
        undelivered_pct=100 * (len(instance.orders) - delivered) / len(instance.orders),
        click_to_door_mean=statistics.fmean(c2d) if c2d else math.nan,
        click_to_door_p90=_p(c2d, 0.9) if c2d else math.nan,
        overage_mean=statistics.fmean(max(0, c - instance.target_click_to_door) for c in c2d)
        if c2d
        else math.nan,
        ready_to_pickup_mean=statistics.fmean(r2p) if r2p else math.nan,
        cost_per_order=pay / delivered if delivered else math.nan,
        orders_per_bundle=delivered / len(result.trips) if result.trips else math.nan,
        over_max=sum(1 for c in c2d if c > instance.max_click_to_door),
        round_p50_ms=statistics.median(rounds),
        round_p99_ms=_p(rounds, 0.99),
        round_max_ms=max(rounds),
    )

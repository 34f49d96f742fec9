"""The dispatch engine at city scale: one round with 1,000 ready orders and 10,000 drivers.

`make bench-dispatch` prints it after the MDRP table: the whole round's time, and the assignment
step on the grid's candidate pairs beside scipy's dense `linear_sum_assignment` on every pair,
with their objectives (the gap must be 0) and the speed-up. Figures, not a timed test.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from flexfleet.dispatch.config import Policy
from flexfleet.dispatch.engine import (
    Bundle,
    bundle_of,
    candidate_pairs,
    decide,
    hold_cost,
    match,
    places_of,
)
from flexfleet.dispatch.state import Driver, OpenOrder, Place, Service
from flexfleet.dispatch.travel import StraightLine

TRAVEL = StraightLine(500.0)  # 30 km/h, as retail's estimates assume
SERVICE = Service(pickup_before=0, pickup_after=5, dropoff_before=3, dropoff_after=0)
# Within 10 minutes of a store: 5 km, a sixteenth of a 40 km city.
POLICY = Policy(reach=10.0)
CITY_METRES = 40_000


@dataclass(frozen=True)
class City:
    orders: list[OpenOrder]
    drivers: list[Driver]


def city(orders: int = 1000, drivers: int = 10_000, stores: int = 200, seed: int = 7) -> City:
    """Ready orders at stores spread over a city, and idle drivers spread over it too."""
    rng = np.random.default_rng(seed)
    store_xy = rng.uniform(0, CITY_METRES, size=(stores, 2))
    return City(
        orders=[
            OpenOrder(
                f"o{i}",
                f"s{i % stores}",
                Place(*store_xy[i % stores]),
                Place(*rng.uniform(0, CITY_METRES, size=2)),
                placed=-float(rng.integers(5, 20)),
                ready=float(rng.integers(0, 5)),
                deadline=120.0,
            )
            for i in range(orders)
        ],
        drivers=[
            Driver(f"d{j}", Place(*xy), 0.0, off=480.0, tier=int(rng.integers(0, 4)))
            for j, xy in enumerate(rng.uniform(0, CITY_METRES, size=(drivers, 2)))
        ],
    )


@dataclass(frozen=True)
class Step:
    objective: float
    build_seconds: float  # the candidate pairs and their costs
    solve_seconds: float  # the solver alone, on those costs
    pairs: int


def singles(town: City) -> list[Bundle]:
    return [bundle_of((o,), SERVICE, TRAVEL) for o in town.orders]


def _holds(bundles: list[Bundle]) -> npt.NDArray[np.float64]:
    return np.array([hold_cost(b, 0.0, POLICY) for b in bundles])


def sparse_step(town: City, bundles: list[Bundle]) -> Step:
    """The engine's assignment step: candidate pairs from the grid, then the sparse solver."""
    began = time.perf_counter()
    places = places_of([d.place for d in town.drivers])
    pairs = candidate_pairs(bundles, town.drivers, places, 0.0, SERVICE, TRAVEL, POLICY)
    built = time.perf_counter()
    matched = match(bundles, town.drivers, pairs, 0.0, POLICY)
    solved = time.perf_counter()
    hold = _holds(bundles)
    unmatched = np.ones(len(bundles), dtype=bool)
    unmatched[list(matched)] = False
    objective = float(pairs.cost[list(matched.values())].sum() + hold[unmatched].sum())
    return Step(objective, built - began, solved - built, len(pairs.cost))


def dense_step(town: City, bundles: list[Bundle]) -> Step:
    """The same costs on every pair (pairs out of reach cost infinity), solved dense."""
    began = time.perf_counter()
    places = places_of([d.place for d in town.drivers])
    every = candidate_pairs(
        bundles, town.drivers, places, 0.0, SERVICE, TRAVEL, replace(POLICY, reach=math.inf)
    )
    n, m = len(bundles), len(town.drivers)
    costs = np.full((n, m + n), np.inf)
    costs[every.bundle, every.driver] = np.where(every.travel <= POLICY.reach, every.cost, np.inf)
    costs[np.arange(n), m + np.arange(n)] = _holds(bundles)
    built = time.perf_counter()
    rows, cols = linear_sum_assignment(costs)
    solved = time.perf_counter()
    return Step(float(costs[rows, cols].sum()), built - began, solved - built, len(every.cost))


def _best(steps: list[Step]) -> Step:
    """Each phase's fastest of the repeats (the objective is the same every time)."""
    return Step(
        steps[0].objective,
        min(s.build_seconds for s in steps),
        min(s.solve_seconds for s in steps),
        steps[0].pairs,
    )


def main(repeats: int = 3) -> int:
    town = city()
    rounds = []
    for _ in range(repeats):
        began = time.perf_counter()
        decision = decide(town.orders, town.drivers, 0.0, SERVICE, TRAVEL, POLICY)
        rounds.append(time.perf_counter() - began)
    bundles = singles(town)
    sparse = _best([sparse_step(town, bundles) for _ in range(repeats)])
    dense = _best([dense_step(town, bundles) for _ in range(repeats)])
    gap = sparse.objective - dense.objective
    p50, worst = statistics.median(rounds), max(rounds)
    print(f"\nScale: one round, {len(town.orders):,} ready orders, {len(town.drivers):,} drivers")
    print(f"  whole round (decide): p50 {p50:.2f} s, max {worst:.2f} s (target 2 s), "
          f"{len(decision.assignments)} assignments")  # fmt: skip
    print(f"  assignment step, fastest of {repeats} each:")
    print(f"    grid + sparse: pairs {sparse.build_seconds:.2f} s ({sparse.pairs:,}), "
          f"solve {sparse.solve_seconds:.2f} s")  # fmt: skip
    print(f"    dense:         pairs {dense.build_seconds:.2f} s ({dense.pairs:,}), "
          f"solve {dense.solve_seconds:.2f} s (linear_sum_assignment)")  # fmt: skip
    total = (dense.build_seconds + dense.solve_seconds) / (
        sparse.build_seconds + sparse.solve_seconds
    )
    print(f"  speed-up: solver alone {dense.solve_seconds / sparse.solve_seconds:.1f}x, "
          f"pairs and solver {total:.1f}x; objective gap {gap:.6f} (must be 0)")  # fmt: skip
    return 0 if math.isclose(gap, 0.0, abs_tol=1e-6) else 1


if __name__ == "__main__":
    raise SystemExit(main())

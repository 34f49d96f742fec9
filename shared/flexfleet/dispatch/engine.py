"""The dispatch engine: one round of batched assignment, with bundling and postponement.

Pure: the caller passes the state at `now` and gets back the assignments to make now, the orders
held on purpose, and the reason for each order that could not be placed. The DispatchFunction
and the MDRP replay (`make mdrp`) call this same code.

A round, as the README's "Dispatch engine" section explains:
1. Orders whose deadline no driver could meet any more, even one standing at the store, are
   `past_deadline`.
2. Candidate pairs come from a grid over the drivers' places: only drivers within `reach`
   minutes of a store, and free within `horizon` minutes, are considered for its orders.
3. Each bundle is matched to at most one driver by a minimum-cost assignment (scipy's sparse
   `min_weight_full_bipartite_matching`), solved to optimality on the candidate graph. Every
   bundle also has a column of its own that means "not this round", at a cost that grows with
   its orders' age, so the solver serves every order it can, oldest first.
4. An order left without a driver is merged into a planned bundle of the same store if their
   ready times are close and every deadline still holds, and the round is solved again: bundles
   grow exactly when drivers run short. While they are short (counting the drivers about to go
   off as gone), a minute of driver time has a price: the matching adds it to each pair's
   cost for the driver's time the plan takes up (for a driver whose time past their off-time is
   free, only up to it), and orders planned on time merge too where the driver they free is
   worth more than the delay the bundle adds.
5. A planned trip is committed only once its driver must set off to be at the store when the
   bundle is ready; until then it is held, and the next round may plan it better.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from flexfleet.dispatch.config import DEFAULT, Policy
from flexfleet.dispatch.state import (
    Assignment,
    Decision,
    Driver,
    OpenOrder,
    Place,
    Service,
    Unassigned,
)
from flexfleet.dispatch.travel import StraightLine

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bundle:
    """Orders of one store in drop-off order, and what follows from a pickup at time P: each
    drop-off at P + offsets[k], the driver free at P + tail, and P at most latest_pickup."""

    orders: tuple[OpenOrder, ...]
    ready: float
    offsets: tuple[float, ...]
    tail: float
    latest_pickup: float

    @property
    def store(self) -> Place:
        return self.orders[0].store

    @property
    def store_id(self) -> str:
        return self.orders[0].store_id


@dataclass(frozen=True)
class Pairs:
    """The candidate graph: bundle index, driver index, and the pair's pickup and cost."""

    bundle: npt.NDArray[np.intp]
    driver: npt.NDArray[np.intp]
    travel: Array
    depart: Array
    pickup: Array
    cost: Array


def decide(
    orders: Sequence[OpenOrder],
    drivers: Sequence[Driver],
    now: float,
    service: Service,
    travel: StraightLine,
    policy: Policy = DEFAULT,
) -> Decision:
    decision = Decision()
    singles = {o.order_id: bundle_of((o,), service, travel) for o in orders}
    live = [o for o in orders if _pickable(singles[o.order_id], now, service)]
    decision.unassigned += [
        Unassigned(o.order_id, "past_deadline")
        for o in orders
        if not _pickable(singles[o.order_id], now, service)
    ]
    if not live:
        return decision
    pool = [d for d in drivers if d.free_from <= now + policy.horizon]
    bundles = [singles[o.order_id] for o in live]
    places = places_of([d.place for d in pool])
    pairs = candidate_pairs(bundles, pool, places, now, service, travel, policy)
    matched = match(bundles, pool, pairs, now, policy)
    # While drivers are short, the matching also prices the driver time each plan takes up.
    value = policy.driver_minute if _short(bundles, matched, pairs, pool, now, policy) else 0.0
    if value:
        pairs = priced(pairs, bundles, pool, value)
        matched = match(bundles, pool, pairs, now, policy)
    for _ in range(policy.merge_rounds):
        merged = _merge_unserved(bundles, matched, pairs, pool, now, service, travel, policy)
        if merged is None:
            break
        bundles = merged
        pairs = priced(
            candidate_pairs(bundles, pool, places, now, service, travel, policy),
            bundles,
            pool,
            value,
        )
        matched = match(bundles, pool, pairs, now, policy)
    _commit(decision, bundles, pool, pairs, matched, now, service, policy)
    served = {o for a in decision.assignments for o in a.order_ids} | set(decision.held)
    unserved = [o for o in live if o.order_id not in served]
    _explain(decision, unserved, singles, drivers, now, service, travel, policy, pool, pairs,
             matched, bundles)  # fmt: skip
    return decision


def bundle_of(orders: tuple[OpenOrder, ...], service: Service, travel: StraightLine) -> Bundle:
    """The bundle of these orders in the given drop-off order."""
    stops = places_of([orders[0].store] + [o.dropoff for o in orders])
    legs = travel.paired(stops[:-1], stops[1:])
    offsets, t = [], service.pickup_after
    for leg in legs:
        t += float(leg) + service.dropoff_before
        offsets.append(t)
        t += service.dropoff_after
    latest = min(o.deadline - off for o, off in zip(orders, offsets, strict=True))
    return Bundle(orders, max(o.ready for o in orders), tuple(offsets), t, latest)


def _best_sequence(
    orders: tuple[OpenOrder, ...], now: float, service: Service, travel: StraightLine
) -> Bundle | None:
    """The drop-off order with the least total delay among those that meet every deadline."""
    best: Bundle | None = None
    for sequence in itertools.permutations(orders):
        bundle = bundle_of(sequence, service, travel)
        if not _pickable(bundle, now, service):
            continue
        if best is None or sum(bundle.offsets) < sum(best.offsets):
            best = bundle
    return best


def _pickable(bundle: Bundle, now: float, service: Service) -> bool:
    """Whether a driver at the store could still pick the bundle up in time for every door."""
    return bundle.latest_pickup >= max(bundle.ready, now + service.pickup_before)


def places_of(places: Sequence[Place]) -> Array:
    return np.array([(p.x, p.y) for p in places], dtype=np.float64).reshape(-1, 2)


def candidate_pairs(
    bundles: Sequence[Bundle],
    pool: Sequence[Driver],
    places: Array,
    now: float,
    service: Service,
    travel: StraightLine,
    policy: Policy,
) -> Pairs:
    """Every feasible (bundle, driver) pair within reach, found through a grid over the
    drivers' places, with its pickup time and cost."""
    rows, cols = _within_reach(bundles, places, travel, policy)
    stores = places_of([b.store for b in bundles])
    minutes = travel.paired(places[cols], stores[rows])
    free = np.array([d.free_from for d in pool], dtype=np.float64)
    off = np.array([d.off for d in pool], dtype=np.float64)
    tier = np.array([d.tier for d in pool], dtype=np.float64)
    covered = np.array([d.covered for d in pool], dtype=np.float64)
    order_pay = np.array([d.order_pay for d in pool], dtype=np.float64)
    ready = np.array([b.ready for b in bundles], dtype=np.float64)
    latest = np.array([b.latest_pickup for b in bundles], dtype=np.float64)
    depart = np.maximum(now, free[cols])
    pickup = np.maximum(ready[rows], depart + minutes + service.pickup_before)
    keep = (minutes <= policy.reach) & (pickup <= off[cols]) & (pickup <= latest[rows])
    rows, cols, minutes, depart, pickup = (
        rows[keep],
        cols[keep],
        minutes[keep],
        depart[keep],
        pickup[keep],
    )
    # Each order's delay from the later of now and its ready time to its drop-off.
    size = np.array([len(b.orders) for b in bundles], dtype=np.float64)
    base = np.array(
        [sum(off - max(now, o.ready) for o, off in zip(b.orders, b.offsets, strict=True))
         for b in bundles],
        dtype=np.float64,
    )  # fmt: skip
    cost = (
        size[rows] * pickup
        + base[rows]
        + policy.tier_tolerance * tier[cols]
        + policy.per_dollar * order_pay[cols] * np.maximum(0.0, size[rows] - covered[cols])
    )
    return Pairs(rows, cols, minutes, depart, pickup, cost)


def priced(pairs: Pairs, bundles: Sequence[Bundle], pool: Sequence[Driver], value: float) -> Pairs:
    """The pairs with the driver's time each plan takes up, from when the driver could set off
    (now, or when their current work ends) to leaving the last door, added to its cost at
    `value` minutes of delay a minute. An idle driver planned for an order not yet ready is
    counted from now: the plan holds them from other bundles this round. For a driver whose
    time past their off-time is free (Driver.free_after_off), that time is not counted: they
    could pick nothing up then anyway. While drivers are short, this keeps idle drivers free,
    gives work to those coming free just in time, and gives the long trips to such drivers
    about to go off."""
    if not value:
        return pairs
    tail = np.array([b.tail for b in bundles], dtype=np.float64)
    spare = np.array([_spare_from(d) for d in pool], dtype=np.float64)
    held = _driver_time(pairs.depart, pairs.pickup + tail[pairs.bundle], spare[pairs.driver])
    cost = pairs.cost + value * held
    return Pairs(pairs.bundle, pairs.driver, pairs.travel, pairs.depart, pairs.pickup, cost)


def _spare_from(driver: Driver) -> float:
    """From when the driver's time costs nothing: their off-time, if time past it is free."""
    return driver.off if driver.free_after_off else math.inf


def _driver_time(depart: npt.ArrayLike, leave: npt.ArrayLike, spare: npt.ArrayLike) -> Array:
    """The driver time a plan takes up: from setting off to leaving the last door, or to when
    their time costs nothing (`_spare_from`), if that comes first."""
    return np.asarray(np.maximum(0.0, np.minimum(leave, spare) - np.asarray(depart)))


def _within_reach(
    bundles: Sequence[Bundle], places: Array, travel: StraightLine, policy: Policy
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """(bundle, driver) index pairs whose driver stands in a grid cell next to the store's;
    cells are `reach` wide, so nobody within reach is missed."""
    if not len(places) or not bundles:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    size = travel.reach(policy.reach)
    cells = np.floor(places / size).astype(np.int64)
    order = np.lexsort((cells[:, 1], cells[:, 0]))
    keys = cells[order]
    grid: dict[tuple[int, int], npt.NDArray[np.intp]] = {}
    starts = np.flatnonzero(np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)])
    for first, last in zip(starts, np.r_[starts[1:], len(keys)], strict=True):
        grid[(int(keys[first, 0]), int(keys[first, 1]))] = order[first:last]
    near: dict[tuple[int, int], npt.NDArray[np.intp]] = {}
    rows: list[npt.NDArray[np.intp]] = []
    cols: list[npt.NDArray[np.intp]] = []
    for index, bundle in enumerate(bundles):
        cell = (math.floor(bundle.store.x / size), math.floor(bundle.store.y / size))
        if cell not in near:
            found = [
                grid[(cell[0] + dx, cell[1] + dy)]
                for dx in (-1, 0, 1)
                for dy in (-1, 0, 1)
                if (cell[0] + dx, cell[1] + dy) in grid
            ]
            near[cell] = np.concatenate(found) if found else np.zeros(0, dtype=np.intp)
        cols.append(near[cell])
        rows.append(np.full(len(near[cell]), index, dtype=np.intp))
    return np.concatenate(rows), np.concatenate(cols)


def hold_cost(bundle: Bundle, now: float, policy: Policy) -> float:
    """What leaving the bundle without a driver this round costs: every order counts, and an
    older one more."""
    return sum(policy.hold + policy.age_weight * (now - o.placed) for o in bundle.orders)


def match(
    bundles: Sequence[Bundle], pool: Sequence[Driver], pairs: Pairs, now: float, policy: Policy
) -> dict[int, int]:
    """The minimum-cost matching of bundles to drivers on the candidate graph, as {bundle index:
    pair index}. Each bundle's own column (index len(pool) + bundle) means "not this round"."""
    n, m = len(bundles), len(pool)
    hold = np.array([hold_cost(b, now, policy) for b in bundles], dtype=np.float64)
    rows = np.concatenate([pairs.bundle, np.arange(n)])
    cols = np.concatenate([pairs.driver, m + np.arange(n)])
    costs = np.concatenate([pairs.cost, hold])
    # The solver reads a zero as a missing edge; every row has one match, so a shift to
    # positive costs changes no choice.
    costs = costs - costs.min() + 1.0
    graph = csr_array((costs, (rows, cols)), shape=(n, m + n))
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    real = matched_cols < m
    keys = pairs.bundle.astype(np.int64) * m + pairs.driver
    by_key = np.argsort(keys)
    found = by_key[np.searchsorted(keys[by_key], matched_rows[real] * m + matched_cols[real])]
    return {int(b): int(k) for b, k in zip(matched_rows[real], found, strict=True)}


def _delay(bundle: Bundle, pickup: float, now: float) -> float:
    """Minutes from the later of now and each order's ready time to its drop-off, summed."""
    return sum(
        pickup + off - max(now, o.ready)
        for o, off in zip(bundle.orders, bundle.offsets, strict=True)
    )


def _span(orders: tuple[OpenOrder, ...], arrival: float) -> float:
    """The longest any of the orders waits for another to become ready, once the driver has
    reached the store at `arrival`."""
    return max(o.ready for o in orders) - max(arrival, min(o.ready for o in orders))


def _merge_unserved(
    bundles: list[Bundle],
    matched: dict[int, int],
    pairs: Pairs,
    pool: Sequence[Driver],
    now: float,
    service: Service,
    travel: StraightLine,
    policy: Policy,
) -> list[Bundle] | None:
    """Each bundle left without a driver, or planned to be picked up over `late` minutes after
    it is ready, joins the planned bundle of its store where that saves the most delay, if the
    host's driver can still carry both in time; None if nothing merged. When drivers are short,
    a bundle planned on time may join too, where the driver time it frees outweighs the delay."""
    merged: dict[int, Bundle] = {}
    absorbed: set[int] = set()
    value = policy.driver_minute if _short(bundles, matched, pairs, pool, now, policy) else 0.0
    for index in sorted(range(len(bundles)), key=lambda i: bundles[i].ready):
        if index in absorbed or index in merged:
            continue
        left = bundles[index]
        if index in matched:
            k = matched[index]
            pickup = float(pairs.pickup[k])
            if pickup - max(now, left.ready) <= policy.late and value <= 0:
                continue
            # Alone, it also holds its driver from setting off until leaving the last door (or
            # going off, if time past it is free).
            spare = _spare_from(pool[int(pairs.driver[k])])
            held = float(_driver_time(float(pairs.depart[k]), pickup + left.tail, spare))
            alone = _delay(left, pickup, now) + value * held
        else:
            alone = hold_cost(left, now, policy)
        hosts = {
            target: (merged.get(target, bundles[target]), pool[int(pairs.driver[k])], k)
            for target, k in matched.items()
            if target != index and target not in absorbed
        }
        best = _best_host(left, alone, hosts, pairs, now, service, travel, policy, value)
        if best is not None:
            merged[best[0]] = best[1]
            absorbed.add(index)
    if not absorbed:
        return None
    return [merged.get(i, b) for i, b in enumerate(bundles) if i not in absorbed]


def _short(
    bundles: Sequence[Bundle],
    matched: dict[int, int],
    pairs: Pairs,
    pool: Sequence[Driver],
    now: float,
    policy: Policy,
) -> bool:
    """Whether drivers are short: bundles unplanned or planned over `late` minutes after they
    are ready number at least `short_share` of the drivers staying on shift past `leaving`."""
    waiting = sum(
        1
        for i, b in enumerate(bundles)
        if i not in matched or float(pairs.pickup[matched[i]]) - max(now, b.ready) > policy.late
    )
    staying = sum(1 for d in pool if d.off >= now + policy.leaving)
    return waiting >= max(1.0, policy.short_share * staying)


def _best_host(
    left: Bundle,
    alone: float,
    hosts: dict[int, tuple[Bundle, Driver, int]],
    pairs: Pairs,
    now: float,
    service: Service,
    travel: StraightLine,
    policy: Policy,
    value: float = 0.0,
) -> tuple[int, Bundle] | None:
    """The planned bundle that `left` saves most by joining, and the joint bundle: delay, plus
    the host driver's time at `value` minutes of delay a minute."""
    best: tuple[float, int, Bundle] | None = None
    for target, (host, driver, k) in hosts.items():
        if (
            host.store_id != left.store_id
            or len(host.orders) + len(left.orders) > policy.max_bundle
        ):
            continue
        arrival = float(pairs.depart[k] + pairs.travel[k]) + service.pickup_before
        both = host.orders + left.orders
        if _span(both, arrival) > policy.bundle_window:
            continue
        joint = _best_sequence(both, now, service, travel)
        if joint is None:
            continue
        pickup = max(joint.ready, arrival)
        if pickup > joint.latest_pickup or pickup > driver.off:
            continue
        before = max(host.ready, arrival)
        depart, spare = float(pairs.depart[k]), _spare_from(driver)
        saving = (
            _delay(host, before, now)
            + value * float(_driver_time(depart, before + host.tail, spare))
            + alone
            - _delay(joint, pickup, now)
            - value * float(_driver_time(depart, pickup + joint.tail, spare))
        )
        if saving > 0 and (best is None or saving > best[0]):
            best = (saving, target, joint)
    return None if best is None else (best[1], best[2])


def _commit(
    decision: Decision,
    bundles: Sequence[Bundle],
    pool: Sequence[Driver],
    pairs: Pairs,
    matched: dict[int, int],
    now: float,
    service: Service,
    policy: Policy,
) -> None:
    """Commits each planned trip whose driver must set off now; holds the others."""
    for index, k in sorted(matched.items()):
        bundle, driver = bundles[index], pool[int(pairs.driver[k])]
        must_leave = bundle.ready - service.pickup_before - float(pairs.travel[k])
        depart = float(pairs.depart[k])
        assignable = driver.queues or driver.free_from <= now
        if assignable and max(must_leave, depart) <= now + policy.commit_slack:
            pickup = float(pairs.pickup[k])
            decision.assignments.append(
                Assignment(
                    driver_id=driver.driver_id,
                    store_id=bundle.store_id,
                    order_ids=tuple(o.order_id for o in bundle.orders),
                    depart=depart,
                    pickup=pickup,
                    dropoffs=tuple(pickup + off for off in bundle.offsets),
                    free_at=pickup + bundle.tail,
                )
            )
        else:
            decision.held.extend(o.order_id for o in bundle.orders)


def _explain(
    decision: Decision,
    unserved: Sequence[OpenOrder],
    singles: dict[str, Bundle],
    drivers: Sequence[Driver],
    now: float,
    service: Service,
    travel: StraightLine,
    policy: Policy,
    pool: Sequence[Driver],
    pairs: Pairs,
    matched: dict[int, int],
    bundles: Sequence[Bundle],
) -> None:
    """Why each unserved order has no driver: nobody on shift could reach it in time even if
    free now, or those who could are busy until a given time."""
    if not unserved:
        return
    places = places_of([d.place for d in drivers])
    stores = places_of([o.store for o in unserved])
    minutes = travel.minutes(stores, places) if len(places) else np.zeros((len(unserved), 0))
    busy_until = {d.driver_id: d.free_from for d in drivers}
    for index, k in matched.items():
        planned = pool[int(pairs.driver[k])].driver_id
        busy_until[planned] = float(pairs.pickup[k]) + bundles[index].tail
    for row, order in enumerate(unserved):
        single = singles[order.order_id]
        able = [
            j
            for j, d in enumerate(drivers)
            if minutes[row, j] <= policy.reach
            and max(order.ready, now + minutes[row, j] + service.pickup_before)
            <= min(d.off, single.latest_pickup)
        ]
        if not able:
            decision.unassigned.append(Unassigned(order.order_id, "no_driver_in_reach"))
        else:
            until = min(busy_until[drivers[j].driver_id] for j in able)
            decision.unassigned.append(Unassigned(order.order_id, "drivers_busy", max(until, now)))

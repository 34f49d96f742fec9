"""The project's own check of an MDRP solution, from the files the evaluator reads: the rules the
evaluator checks, and those it does not (the instance README's list):
- nothing is dropped off past the maximum click-to-door (90 minutes);
- a delivered order has exactly one assignment, by the courier the orders file names;
- the orders file's pickup time is its assignment's;
- and, as the evaluator does: pickup never before ready nor after the courier's off-time,
  nothing assigned before it was placed, and each courier where the files say, when they say.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from tests.bench.mdrp.instance import Instance


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()[1:] if line.strip()]


Assigned = dict[str, tuple[int, int, str]]  # order: (assigned at, pickup, courier)
Bundle = tuple[int, str, list[str]]  # pickup, courier, orders


def check_solution(instance: Instance, solution: Path) -> list[str]:
    """Every rule broken, in words; [] for a solution that keeps them all."""
    problems: list[str] = []
    assigned, bundles = _check_assignments(instance, solution, problems)
    timelines = _timelines(instance, solution, problems)
    _check_orders(instance, solution, assigned, timelines, problems)
    for pickup, courier, orders in bundles:
        restaurant = instance.orders[orders[0]].restaurant
        if _where(timelines.get(courier), pickup) != restaurant:
            problems.append(f"{courier} is not at {restaurant} at {pickup} for {orders}")
    return problems


def _check_assignments(
    instance: Instance, solution: Path, problems: list[str]
) -> tuple[Assigned, list[Bundle]]:
    assigned: Assigned = {}
    bundles: list[Bundle] = []
    for fields in _lines(solution / "solution_info_assignments.txt"):
        at, pickup, courier, orders = int(fields[0]), int(fields[1]), fields[2], fields[3:]
        bundles.append((pickup, courier, orders))
        restaurants = {instance.orders[o].restaurant for o in orders}
        if len(restaurants) != 1:
            problems.append(f"bundle {orders} spans restaurants {sorted(restaurants)}")
        if pickup > instance.couriers[courier].off:
            problems.append(f"{courier} picks up {orders} at {pickup}, after their off-time")
        for order_id in orders:
            order = instance.orders[order_id]
            if order_id in assigned:
                problems.append(f"{order_id} is assigned twice")
            assigned[order_id] = (at, pickup, courier)
            if at < order.placed:
                problems.append(f"{order_id} assigned at {at}, before it was placed")
            if pickup < order.ready:
                problems.append(f"{order_id} picked up at {pickup}, before it was ready")
    return assigned, bundles


def _check_orders(
    instance: Instance,
    solution: Path,
    assigned: Assigned,
    timelines: dict[str, tuple[list[int], list[str]]],
    problems: list[str],
) -> None:
    for fields in _lines(solution / "solution_info_orders.txt"):
        order_id, courier = fields[0], fields[5]
        if fields[4] == "nan":
            if order_id in assigned:
                problems.append(f"{order_id} is assigned but never delivered")
            continue
        pickup, drop = int(fields[3]), int(fields[4])
        order = instance.orders[order_id]
        if order_id not in assigned:
            problems.append(f"{order_id} is delivered without an assignment")
            continue
        _, assigned_pickup, assigned_courier = assigned[order_id]
        if (pickup, courier) != (assigned_pickup, assigned_courier):
            problems.append(
                f"{order_id}: the orders file's pickup or courier is not its assignment's"
            )
        if drop - order.placed > instance.max_click_to_door:
            problems.append(f"{order_id} dropped off {drop - order.placed} min after it was placed")
        if _where(timelines.get(courier), drop) != order_id:
            problems.append(f"{courier} is not at {order_id}'s door at {drop}")


def _timelines(
    instance: Instance, solution: Path, problems: list[str]
) -> dict[str, tuple[list[int], list[str]]]:
    """Per courier: the moments they depart or arrive, and where they are from each on."""
    timelines: dict[str, tuple[list[int], list[str]]] = {}
    for fields in _lines(solution / "solution_info_couriers.txt"):
        courier, departure, origin, destination = fields[0], int(fields[1]), fields[2], fields[3]
        origin = courier if origin == "0" else origin
        times, places = timelines.setdefault(courier, ([instance.couriers[courier].on], [courier]))
        if origin != places[-1]:
            problems.append(f"{courier} leaves {origin} but is at {places[-1]}")
        if departure < times[-1]:
            problems.append(f"{courier} departs at {departure}, before arriving at {times[-1]}")
        times += [departure, departure + instance.travel(origin, destination)]
        places += ["", destination]
    return timelines


def _where(timeline: tuple[list[int], list[str]] | None, moment: int) -> str | None:
    if timeline is None:
        return None
    times, places = timeline
    return places[bisect.bisect_left(times, moment) - 1]

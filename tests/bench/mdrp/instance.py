"""An MDRP instance as its tab-separated files give it (Reyes et al. 2018, grubhub/mdrplib)."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Order:
    order_id: str
    x: float
    y: float
    placed: int
    restaurant: str
    ready: int


@dataclass(frozen=True)
class Courier:
    courier_id: str
    x: float
    y: float
    on: int
    off: int


@dataclass(frozen=True)
class Instance:
    name: str
    orders: dict[str, Order]
    couriers: dict[str, Courier]
    restaurants: dict[str, tuple[float, float]]
    meters_per_minute: float
    pickup_service: int
    dropoff_service: int
    target_click_to_door: int
    max_click_to_door: int
    pay_per_order: float
    pay_per_hour: float

    def point(self, place: str) -> tuple[float, float]:
        """Where a place id is: a restaurant, an order's door, or a courier's start."""
        if place in self.restaurants:
            return self.restaurants[place]
        if place in self.orders:
            order = self.orders[place]
            return order.x, order.y
        courier = self.couriers[place]
        return courier.x, courier.y

    def travel(self, origin: str, destination: str) -> int:
        """Minutes: ceil(euclidean / meters_per_minute), as the evaluator computes them."""
        (x1, y1), (x2, y2) = self.point(origin), self.point(destination)
        return math.ceil(math.hypot(x2 - x1, y2 - y1) / self.meters_per_minute)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as table:
        return list(csv.DictReader(table, delimiter="\t"))


def read_instance(directory: Path) -> Instance:
    (parameters,) = _rows(directory / "instance_parameters.txt")
    return Instance(
        name=directory.name,
        orders={
            r["order"]: Order(
                r["order"],
                float(r["x"]),
                float(r["y"]),
                int(r["placement_time"]),
                r["restaurant"],
                int(r["ready_time"]),
            )
            for r in _rows(directory / "orders.txt")
        },
        couriers={
            r["courier"]: Courier(
                r["courier"], float(r["x"]), float(r["y"]), int(r["on_time"]), int(r["off_time"])
            )
            for r in _rows(directory / "couriers.txt")
        },
        restaurants={
            r["restaurant"]: (float(r["x"]), float(r["y"]))
            for r in _rows(directory / "restaurants.txt")
        },
        meters_per_minute=float(parameters["meters_per_minute"]),
        pickup_service=int(parameters["pickup service minutes"]),
        dropoff_service=int(parameters["dropoff service minutes"]),
        target_click_to_door=int(parameters["target click-to-door"]),
        max_click_to_door=int(parameters["maximum click-to-door"]),
        pay_per_order=float(parameters["pay per order"]),
        pay_per_hour=float(parameters["guaranteed pay per hour"]),
    )

"""A small MDRP-format instance of the project's own, made from a seed: for tests of the replay
and the checker, so that no test depends on the published data."""

from __future__ import annotations

import random
from pathlib import Path


def write_instance(out: Path, seed: int = 7, orders: int = 40, couriers: int = 8) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    restaurants = [(f"r{i}", rng.randint(2000, 8000), rng.randint(2000, 8000)) for i in range(1, 7)]
    (out / "restaurants.txt").write_text(
        "restaurant\tx\ty\n" + "".join(f"{r}\t{x}\t{y}\n" for r, x, y in restaurants)
    )
    lines = ["order\tx\ty\tplacement_time\trestaurant\tready_time"]
    for n in range(1, orders + 1):
        placed = rng.randint(600, 720)
        restaurant = rng.choice(restaurants)[0]
        x, y = rng.randint(0, 10000), rng.randint(0, 10000)
        lines.append(f"o{n}\t{x}\t{y}\t{placed}\t{restaurant}\t{placed + rng.randint(5, 20)}")
    (out / "orders.txt").write_text("\n".join(lines) + "\n")
    lines = ["courier\tx\ty\ton_time\toff_time"]
    for n in range(1, couriers + 1):
        on = rng.choice((570, 600, 630))
        lines.append(f"c{n}\t{rng.randint(0, 10000)}\t{rng.randint(0, 10000)}\t{on}\t{on + 180}")
    (out / "couriers.txt").write_text("\n".join(lines) + "\n")
    (out / "instance_parameters.txt").write_text(
        "meters_per_minute\tpickup service minutes\tdropoff service minutes\t"
        "target click-to-door\tmaximum click-to-door\tpay per order\tguaranteed pay per hour\n"
        "320\t4\t4\t40\t90\t10\t15\n"
    )
    return out

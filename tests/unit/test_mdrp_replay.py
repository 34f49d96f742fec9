"""The MDRP replay keeps the problem's rules, and its checker catches what breaks them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.bench.mdrp import bench
from tests.bench.mdrp.__main__ import main
from tests.bench.mdrp.checker import check_solution
from tests.bench.mdrp.generate import write_instance
from tests.bench.mdrp.greedy import greedy
from tests.bench.mdrp.instance import Instance, Order, read_instance
from tests.bench.mdrp.simulate import CourierState, Policy, Replay, Trip, plan_trip, replay
from tests.bench.mdrp.solution import figures, write_solution


@pytest.fixture
def instance_dir(tmp_path: Path) -> Path:
    return write_instance(tmp_path / "instance")


def test_a_generated_day_replayed_greedily_keeps_every_rule(
    instance_dir: Path, tmp_path: Path
) -> None:
    instance = read_instance(instance_dir)
    result = replay(instance, greedy)
    write_solution(result, tmp_path / "solution")

    assert check_solution(instance, tmp_path / "solution") == []
    shown = figures(result)
    assert shown.over_max == 0
    assert shown.orders_per_bundle == 1.0
    assert shown.undelivered_pct < 100


def test_make_mdrp_replays_a_generated_day_through_the_engine_and_keeps_every_rule(
    instance_dir: Path, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "solution"
    ran = subprocess.run(
        ["make", "--no-print-directory", "mdrp", f"INSTANCE={instance_dir}", f"OUT={out}"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    instance = read_instance(instance_dir)
    assert check_solution(instance, out) == []
    delivered = len((out / "solution_info_orders.txt").read_text().splitlines()) - 1
    assert delivered == len(instance.orders)  # a light day: the engine delivers every order
    assert "click_to_door_mean" in ran.stdout


def test_pickup_waits_for_the_order_and_the_courier_leaves_half_a_service_later(
    instance_dir: Path,
) -> None:
    instance = read_instance(instance_dir)
    courier = next(iter(instance.couriers.values()))
    order = max(instance.orders.values(), key=lambda o: o.ready)
    state = CourierState(courier, courier.courier_id, courier.on)

    trip = plan_trip(instance, state, [order], courier.on)

    assert trip is not None
    arrival = courier.on + instance.travel(courier.courier_id, order.restaurant)
    assert trip.pickup == max(order.ready, arrival + 2)
    door = trip.pickup + 2 + instance.travel(order.restaurant, order.order_id)
    assert trip.dropoffs == (door + 2,)
    assert trip.free_at == door + 4


def test_the_checker_reports_a_pickup_before_ready_and_a_late_drop_off(
    instance_dir: Path, tmp_path: Path
) -> None:
    instance = read_instance(instance_dir)
    write_solution(replay(instance, greedy), tmp_path / "solution")
    orders_file = tmp_path / "solution" / "solution_info_orders.txt"
    header, first, *rest = orders_file.read_text().splitlines()
    fields = first.split()
    order = instance.orders[fields[0]]
    fields[4] = str(order.placed + 91)  # past the maximum click-to-door
    orders_file.write_text("\n".join([header, " ".join(fields), *rest]) + "\n")
    assignments = tmp_path / "solution" / "solution_info_assignments.txt"
    head, line, *others = assignments.read_text().splitlines()
    at, _, courier, *bundle = line.split()
    early = instance.orders[bundle[0]].ready - 1
    assignments.write_text("\n".join([head, f"{at} {early} {courier} {' '.join(bundle)}", *others]))

    problems = check_solution(instance, tmp_path / "solution")

    assert any("after it was placed" in p and fields[0] in p for p in problems)
    assert any("before it was ready" in p for p in problems)


@pytest.mark.parametrize("foresight", [0, 10])
def test_foresight_shows_each_order_that_many_minutes_before_its_placement(
    instance_dir: Path, foresight: int
) -> None:
    instance = read_instance(instance_dir)
    first_seen: dict[str, int] = {}

    def watching(
        instance: Instance, now: int, waiting: list[Order], couriers: list[CourierState]
    ) -> list[Trip]:
        for order in waiting:
            first_seen.setdefault(order.order_id, now)
        return greedy(instance, now, waiting, couriers)

    replay(instance, watching, foresight=foresight)

    start = min(min(o.placed for o in instance.orders.values()),
                min(c.on for c in instance.couriers.values()))  # fmt: skip
    assert first_seen == {
        o.order_id: max(start, o.placed - foresight) for o in instance.orders.values()
    }


def test_the_foresight_study_replays_each_instance_plainly_and_with_the_foresight_asked(
    instance_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []

    def replay_noting(instance: Instance, policy: Policy, foresight: int = 0) -> Replay:
        asked.append(foresight)
        return replay(instance, policy, foresight=foresight)

    monkeypatch.setattr(bench, "replay", replay_noting)
    assert main(["study", str(instance_dir.parent), "--foresight", "5", "--jobs", "1"]) == 0

    assert asked == [0, 5]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "The engine's means over 1 instance(s):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "orders seen  0 minutes early",
        "orders seen  5 minutes early",
    ]
    assert all("click_to_door_mean" in line for line in lines[1:])


@pytest.mark.parametrize("minutes", ["0", "-3"])
def test_the_foresight_study_refuses_no_foresight(instance_dir: Path, minutes: str) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["study", str(instance_dir.parent), "--foresight", minutes])
    assert refused.value.code == 2

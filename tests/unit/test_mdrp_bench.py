"""The dispatch bench's arithmetic: classes from instance names, means over instances, marks
against issue 8's targets, and the CSV and chart it writes."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.bench.mdrp.bench import write_csv
from tests.bench.mdrp.chart import draw_chart
from tests.bench.mdrp.solution import Figures
from tests.bench.mdrp.summary import (
    REFERENCE_CLICK_TO_DOOR_BY_CLASS,
    Outcome,
    instance_classes,
    mean_figures,
    means_by_class,
    target_marks,
)

MEETS_EVERY_TARGET = Figures(
    orders=400,
    undelivered_pct=0.25,
    click_to_door_mean=31.5,
    click_to_door_p90=45.0,
    overage_mean=1.0,
    ready_to_pickup_mean=2.0,
    cost_per_order=11.0,
    orders_per_bundle=1.2,
    over_max=0,
    round_p50_ms=3.0,
    round_p99_ms=1000.0,
    round_max_ms=1200.0,
)


def outcome(
    instance: str = "0o100t100s1p100",
    shown: Figures = MEETS_EVERY_TARGET,
    feasible: bool | None = True,
    problems: int = 0,
    policy: str = "engine",
) -> Outcome:
    return Outcome(instance, policy, shown, feasible, problems, "1234.50")


def marks(*outcomes: Outcome) -> dict[str, bool | None]:
    return {mark.label: mark.passed for mark in target_marks(outcomes)}


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("0o100t100s1p100", ("o100", "t100", "s1", "p100")),
        ("3o50t75s2p125", ("o50", "t75", "s2", "p125")),
        ("4r50t75s1p100", ("r50", "t75", "s1", "p100")),
    ],
)
def test_an_instance_name_gives_its_four_classes(name: str, classes: tuple[str, ...]) -> None:
    assert instance_classes(name) == classes


@pytest.mark.parametrize("name", ["instance", "0o100t100s3p100", "o100t100s1p100", "0o100t100s1"])
def test_a_name_outside_the_mdrp_pattern_is_in_no_class(name: str) -> None:
    assert instance_classes(name) == ()


def test_a_mean_leaves_out_an_instance_where_the_figure_is_undefined() -> None:
    nothing_delivered = replace(
        MEETS_EVERY_TARGET, undelivered_pct=100.0, click_to_door_mean=math.nan
    )
    shorter = replace(MEETS_EVERY_TARGET, click_to_door_mean=29.5)

    means = mean_figures([MEETS_EVERY_TARGET, nothing_delivered, shorter])

    assert means["click_to_door_mean"] == pytest.approx(30.5)
    assert means["undelivered_pct"] == pytest.approx((0.25 + 100 + 0.25) / 3)


def test_a_figure_undefined_everywhere_has_an_undefined_mean() -> None:
    assert math.isnan(mean_figures([replace(MEETS_EVERY_TARGET, cost_per_order=math.nan)])[
        "cost_per_order"
    ])  # fmt: skip


def test_each_class_averages_only_the_instances_in_it() -> None:
    fast = outcome("0o50t75s1p100", replace(MEETS_EVERY_TARGET, click_to_door_mean=28.0))
    slow = outcome("1o50t100s1p125", replace(MEETS_EVERY_TARGET, click_to_door_mean=36.0))

    by_class = means_by_class([fast, slow, outcome("generated")])

    assert list(by_class) == ["o50", "t100", "t75", "s1", "p100", "p125"]
    assert by_class["o50"]["click_to_door_mean"] == pytest.approx(32.0)
    assert by_class["t75"]["click_to_door_mean"] == pytest.approx(28.0)
    assert by_class["p125"]["click_to_door_mean"] == pytest.approx(36.0)


def test_every_target_passes_at_its_limit() -> None:
    assert set(marks(outcome()).values()) == {True}


@pytest.mark.parametrize(
    ("changed", "target"),
    [
        ({"undelivered_pct": 0.26}, "undelivered, mean ≤ 0.25%"),
        ({"click_to_door_mean": 31.51}, "click-to-door mean ≤ 31.5 min"),
        ({"cost_per_order": 11.01}, "cost per order ≤ $11.00"),
        ({"over_max": 1}, "delivered past 90 min: 0"),
        ({"round_p99_ms": 1000.1}, "round p99 ≤ 1 s on every instance"),
    ],
)
def test_a_target_fails_just_past_its_limit_and_the_others_still_pass(
    changed: dict[str, Any], target: str
) -> None:
    missed = marks(outcome(shown=replace(MEETS_EVERY_TARGET, **changed)))

    assert missed.pop(target) is False
    assert set(missed.values()) == {True}


def test_means_are_judged_over_instances_and_round_time_on_the_worst_one() -> None:
    quick = replace(MEETS_EVERY_TARGET, click_to_door_mean=30.5, round_p99_ms=20.0)
    slow = replace(MEETS_EVERY_TARGET, click_to_door_mean=32.4, round_p99_ms=1001.0)

    judged = marks(outcome(shown=quick), outcome("1o50t75s2p125", slow))

    assert judged["click-to-door mean ≤ 31.5 min"] is True  # 31.45 on average
    assert judged["round p99 ≤ 1 s on every instance"] is False


def test_an_infeasible_solution_or_a_checker_problem_anywhere_fails_soundness() -> None:
    sound = "FEASIBLE, 0 checker problems: instances failing"

    assert marks(outcome(), outcome(feasible=False))[sound] is False
    assert marks(outcome(), outcome(problems=2))[sound] is False


def test_soundness_is_unmeasured_without_the_evaluator_unless_the_checker_already_failed() -> None:
    sound = "FEASIBLE, 0 checker problems: instances failing"

    assert marks(outcome(), outcome(feasible=None))[sound] is None
    assert marks(outcome(feasible=None, problems=1))[sound] is False


def test_the_csv_has_a_row_per_instance_and_policy_with_its_classes(tmp_path: Path) -> None:
    rows = [
        outcome("1o50t75s2p125", policy="greedy"),
        outcome("1o50t75s2p125", replace(MEETS_EVERY_TARGET, ready_to_pickup_mean=math.nan)),
        outcome("generated", feasible=None),
    ]

    write_csv(rows, tmp_path / "bench.csv", "engine")

    with (tmp_path / "bench.csv").open() as sheet:
        read = list(csv.DictReader(sheet))
    assert [(r["instance"], r["policy"]) for r in read] == [
        ("1o50t75s2p125", "engine"),
        ("1o50t75s2p125", "greedy"),
        ("generated", "engine"),
    ]
    first = read[0]
    assert (first["orders_class"], first["speed"], first["schedule"], first["preparation"]) == (
        "o50", "t75", "s2", "p125",
    )  # fmt: skip
    assert (first["ready_to_pickup_mean"], first["cost_per_order"], first["over_max"]) == (
        "", "11.0000", "0",
    )  # fmt: skip
    assert (first["evaluator"], read[2]["evaluator"], read[2]["orders_class"]) == (
        "FEASIBLE", "not run", "",
    )  # fmt: skip


def test_the_chart_is_drawn_as_a_png_for_the_classes_present(tmp_path: Path) -> None:
    by_class = means_by_class([outcome("0o50t75s1p100"), outcome("1r50t100s2p125")])

    out = draw_chart(
        tmp_path / "docs" / "chart.png",
        {"engine": by_class, "greedy baseline": by_class},
        "Reyes et al. 2018",
        REFERENCE_CLICK_TO_DOOR_BY_CLASS,
        11.42,
        (31.5, 11.0),
        "2 instances",
    )

    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

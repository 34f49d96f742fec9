"""The dispatch bench's arithmetic: an instance's classes from its name, means over instances
(overall and by class), the published reference, and marks against issue 8's targets. Pure, so
that unit tests hold it; bench.py runs the replays and prints, chart.py draws."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from tests.bench.mdrp.solution import Figures

# The instance README's variations, in the order the chart shows them: orders (full, half the
# orders, half the restaurants), travel speed, courier schedule, preparation time.
CLASSES = ("o100", "o50", "r50", "t100", "t75", "s1", "s2", "p100", "p125")
_NAME = re.compile(r"^\d+(o100|o50|r50)(t100|t75)(s1|s2)(p100|p125)$")

# Reyes et al. 2018, default policy, mean over all 240 instances (../shared/mdrp/README.md).
REFERENCE = {
    "undelivered_pct": 0.25,
    "click_to_door_mean": 32.74,
    "click_to_door_p90": 49.3,
    "overage_mean": 2.77,
    "ready_to_pickup_mean": 1.93,
    "cost_per_order": 11.42,
    "orders_per_bundle": 1.09,
}
# Their click-to-door mean by class, averaged over their variants. Nothing is published for
# s1 and s2, nor any cost by class.
REFERENCE_CLICK_TO_DOOR_BY_CLASS = {
    "o100": 32.55,
    "o50": 33.29,
    "r50": 33.27,
    "t100": 34.79,
    "t75": 31.29,
    "p100": 31.1,
    "p125": 34.98,
}

# Every figure of an instance, averaged over instances as the reference is.
FIGURES = (
    "undelivered_pct",
    "click_to_door_mean",
    "click_to_door_p90",
    "overage_mean",
    "ready_to_pickup_mean",
    "cost_per_order",
    "orders_per_bundle",
    "over_max",
    "round_p50_ms",
    "round_p99_ms",
    "round_max_ms",
)


def instance_classes(name: str) -> tuple[str, ...]:
    """`3o50t75s2p125` is in o50, t75, s2 and p125; a name outside the MDRP's pattern (a
    generated instance) is in no class."""
    match = _NAME.match(name)
    return match.groups() if match else ()


@dataclass(frozen=True)
class Outcome:
    """One policy's replay of one instance, and what the two checks said of it."""

    instance: str
    policy: str
    figures: Figures
    feasible: bool | None  # the official evaluator's verdict; None when it did not run
    problems: int  # what the project's checker found
    payment: str  # the evaluator's total payment, "?" when it gave none

    @property
    def sound(self) -> bool | None:
        """FEASIBLE and no checker problem; None when only the checker ran and it was happy."""
        if self.problems or self.feasible is False:
            return False
        return None if self.feasible is None else True


def mean_figures(rows: Sequence[Figures]) -> dict[str, float]:
    """Each figure's mean over instances. An instance where a figure is undefined (NaN: nothing
    was delivered) is left out of that figure's mean; a figure undefined everywhere is NaN."""
    means = {}
    for key in FIGURES:
        values = [float(asdict(row)[key]) for row in rows]
        defined = [v for v in values if not math.isnan(v)]
        means[key] = statistics.fmean(defined) if defined else math.nan
    return means


def means_by_class(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float]]:
    """Per class, in CLASSES' order, the mean figures of the instances in it; classes with no
    instance are left out."""
    members: dict[str, list[Figures]] = {name: [] for name in CLASSES}
    for outcome in outcomes:
        for name in instance_classes(outcome.instance):
            members[name].append(outcome.figures)
    return {name: mean_figures(rows) for name, rows in members.items() if rows}


@dataclass(frozen=True)
class Target:
    label: str
    limit: float
    measure: Callable[[Sequence[Outcome]], float]
    shown: str  # format of the measured value
    needs_evaluator: bool = False  # unmeasured where the evaluator did not run


@dataclass(frozen=True)
class Mark:
    label: str
    value: str
    passed: bool | None  # None: not measured (the evaluator did not run)


def _mean(key: str) -> Callable[[Sequence[Outcome]], float]:
    return lambda outcomes: mean_figures([o.figures for o in outcomes])[key]


# Issue 8's targets, over the instances run. Every one is "at most the limit".
TARGETS = (
    Target("undelivered, mean ≤ 0.25%", 0.25, _mean("undelivered_pct"), "{:.2f}%"),
    Target("click-to-door mean ≤ 31.5 min", 31.5, _mean("click_to_door_mean"), "{:.2f} min"),
    Target("cost per order ≤ $11.00", 11.0, _mean("cost_per_order"), "${:.2f}"),
    Target(
        "delivered past 90 min: 0",
        0,
        lambda outcomes: sum(o.figures.over_max for o in outcomes),
        "{:.0f}",
    ),
    Target(
        "round p99 ≤ 1 s on every instance",
        1000.0,
        lambda outcomes: max(o.figures.round_p99_ms for o in outcomes),
        "worst {:.1f} ms",
    ),
    Target(
        "FEASIBLE, 0 checker problems: instances failing",
        0,
        lambda outcomes: sum(1 for o in outcomes if o.sound is False),
        "{:.0f}",
        needs_evaluator=True,
    ),
)


def target_marks(outcomes: Sequence[Outcome]) -> list[Mark]:
    """Each target met or missed by these outcomes (one policy's). Feasibility is unmeasured
    when the evaluator did not run on some instance and nothing failed elsewhere."""
    marks = []
    for target in TARGETS:
        value = target.measure(outcomes)
        passed: bool | None = not math.isnan(value) and value <= target.limit
        if target.needs_evaluator and passed and any(o.sound is None for o in outcomes):
            passed = None
        marks.append(Mark(target.label, target.shown.format(value), passed))
    return marks

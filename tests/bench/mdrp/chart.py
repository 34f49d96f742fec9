"""The dispatch bench's chart: click-to-door mean and cost per order by instance class, for each
policy run and the published reference, as a PNG the README shows. matplotlib is imported here
alone, and drawn without a display (Agg)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from tests.bench.mdrp.summary import CLASSES

ByClass = Mapping[str, Mapping[str, float]]  # class: figure: mean
COLOURS = ("#1f77b4", "#ff7f0e", "#7f7f7f")  # the engine, the greedy baseline, the reference


def draw_chart(
    out: Path,
    series: Mapping[str, ByClass],
    reference_label: str,
    reference_click_to_door: Mapping[str, float],
    reference_cost: float,
    targets: tuple[float, float],
    note: str,
) -> Path:
    """Two panels, classes along x. `series` is each policy's means by class, in the order
    drawn; the reference has click-to-door by class (bars where published) and one overall cost
    (a line). `targets` are the click-to-door and cost targets, drawn dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = [c for c in CLASSES if any(c in by_class for by_class in series.values())]
    width = 0.8 / (len(series) + 1)
    figure, (c2d, cost) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True)
    for number, (label, by_class) in enumerate(series.items()):
        offsets = [i + (number - len(series) / 2) * width for i in range(len(classes))]
        colour = COLOURS[number % len(COLOURS)]
        c2d.bar(offsets, _values(by_class, classes, "click_to_door_mean"), width,
                label=label, color=colour)  # fmt: skip
        cost.bar(offsets, _values(by_class, classes, "cost_per_order"), width,
                 label=label, color=colour)  # fmt: skip
    offsets = [i + (len(series) / 2) * width for i in range(len(classes))]
    c2d.bar(
        offsets,
        [reference_click_to_door.get(c, math.nan) for c in classes],
        width,
        label=f"{reference_label} (none published for s1, s2)",
        color=COLOURS[2],
    )
    cost.axhline(reference_cost, color=COLOURS[2], linewidth=2,
                 label=f"{reference_label}, all 240: ${reference_cost:.2f}")  # fmt: skip
    c2d.axhline(targets[0], color="black", linestyle="--", linewidth=1,
                label=f"target ≤ {targets[0]} min")  # fmt: skip
    cost.axhline(targets[1], color="black", linestyle="--", linewidth=1,
                 label=f"target ≤ ${targets[1]:.2f}")  # fmt: skip
    c2d.set_ylabel("click-to-door mean (min)")
    cost.set_ylabel("cost per order ($)")
    for panel, shown in ((c2d, "%.1f"), (cost, "%.2f")):
        for bars in panel.containers:
            panel.bar_label(bars, fmt=shown, fontsize=6)
        panel.set_ylim(top=panel.get_ylim()[1] * 1.25)  # room for the legend
        panel.grid(axis="y", alpha=0.3)
        panel.legend(loc="upper left", fontsize=8, ncols=2)
    cost.set_xticks(range(len(classes)), classes)
    cost.set_xlabel("instance class (mean over the instances in it)")
    figure.suptitle(f"Dispatch on Grubhub's MDRP instances: {note}", fontsize=11)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


def _values(by_class: ByClass, classes: list[str], key: str) -> list[float]:
    return [by_class[c][key] if c in by_class else math.nan for c in classes]

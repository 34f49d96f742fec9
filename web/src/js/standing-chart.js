// The chart of a driver's standing over time, drawn by Chart.js (its UMD build, window.Chart),
// with the same figures in a table for whoever does not see the chart.

import { h, fill } from "./dom.js";
import { COMPONENTS, componentLabel, when } from "./format.js";

const COLOURS = {
  customerRating: "#1d5fbf",
  onTimeRate: "#0b7a3e",
  completionRate: "#8a4bb8",
  reliability: "#b35c00",
};

function valueOf(component) {
  if (component === null || component === undefined) return null;
  const raw = typeof component === "object" ? component.value : component;
  const number = Number(raw);
  return Number.isFinite(number) ? number : null;
}

/**
 * The history route's answer ({driverId, points}) as points {at, tier, values: {component: number}}, oldest first.
 * Each item holds the moment (`at`), the tier and the components as the standing route gives them.
 */
export function historyPoints(answer) {
  const items = Array.isArray(answer) ? answer : (answer && (answer.points || answer.items)) || [];
  return items
    .map((item) => {
      const components = item.components || {};
      const values = {};
      for (const name of Object.keys(COMPONENTS)) values[name] = valueOf(components[name]);
      return { at: item.at || item.asOf || item.changedAt, tier: item.tier, values };
    })
    .filter((point) => point.at)
    .sort((a, b) => new Date(a.at) - new Date(b.at));
}

export class StandingChart {
  constructor() {
    this.canvas = h("canvas", { role: "img", "aria-label": "Standing over time: no history yet" });
    this.table = h("table", { class: "data" });
    this.summary = h("p", { class: "muted" });
    this.element = h(
      "div",
      { class: "chart-block" },
      h("div", { class: "chart-box" }, this.canvas),
      this.summary,
      h("details", {}, h("summary", {}, "Show the figures as a table"), h("div", { class: "table-scroll" }, this.table)),
    );
    this.chart = null;
  }

  render(points) {
    const labels = points.map((point) => when(point.at));
    const last = points[points.length - 1];
    this.canvas.setAttribute(
      "aria-label",
      points.length
        ? `Standing over time: ${points.length} points from ${labels[0]} to ${labels[labels.length - 1]}; now ${last.tier}.`
        : "Standing over time: no history yet",
    );
    fill(
      this.summary,
      points.length < 2
        ? "The chart fills in as your standing changes."
        : `${points.length} changes since ${labels[0]}.`,
    );
    this.renderTable(points, labels);
    // A linear axis of epoch milliseconds: real spacing in time, with no date adapter to load.
    const times = points.map((point) => new Date(point.at).getTime());
    const datasets = Object.keys(COMPONENTS).map((name) => ({
      label: componentLabel(name),
      data: points.map((point, i) => ({ x: times[i], y: point.values[name] })),
      borderColor: COLOURS[name],
      backgroundColor: COLOURS[name],
      yAxisID: COMPONENTS[name].kind === "stars" ? "stars" : "rate",
      stepped: true,
      spanGaps: true,
      pointRadius: 3,
      borderWidth: name === "customerRating" ? 3 : 2,
    }));
    if (!window.Chart) {
      fill(this.summary, "The chart library did not load; the figures are in the table below.");
      return;
    }
    const span = times.length ? times[times.length - 1] - times[0] : 0;
    const tick = new Intl.DateTimeFormat(undefined, span < 3600 * 1000
      ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
      : span < 86400 * 1000
        ? { hour: "2-digit", minute: "2-digit" }
        : { month: "short", day: "numeric" });
    const callbacks = {
      title: (items) => (items.length ? when(points[items[0].dataIndex].at) : ""),
      footer: (items) => this.tierAt(points, items),
    };
    if (this.chart) {
      this.chart.data.datasets.forEach((dataset, i) => (dataset.data = datasets[i].data));
      this.chart.options.scales.x.ticks.callback = (value) => tick.format(new Date(value));
      this.chart.options.plugins.tooltip.callbacks = callbacks;
      this.chart.update();
      return;
    }
    this.chart = new window.Chart(this.canvas, {
      type: "line",
      data: { datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          stars: {
            type: "linear", position: "left", suggestedMin: 4.2, suggestedMax: 5,
            title: { display: true, text: "Customer rating (stars)" },
          },
          rate: {
            type: "linear", position: "right", suggestedMin: 0.8, max: 1,
            grid: { drawOnChartArea: false },
            title: { display: true, text: "Rates" },
          },
          x: {
            type: "linear",
            ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 5, callback: (value) => tick.format(new Date(value)) },
          },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks },
        },
      },
    });
  }

  tierAt(points, items) {
    const point = items.length ? points[items[0].dataIndex] : null;
    return point && point.tier ? `Tier: ${point.tier}` : "";
  }

  renderTable(points, labels) {
    const names = Object.keys(COMPONENTS);
    fill(
      this.table,
      h("caption", { class: "visually-hidden" }, "Standing over time"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Tier"),
        names.map((name) => h("th", { scope: "col" }, componentLabel(name))))),
      h("tbody", {}, points.map((point, i) => h("tr", {},
        h("th", { scope: "row" }, labels[i]),
        h("td", {}, point.tier || "–"),
        names.map((name) => h("td", {}, point.values[name] === null ? "–" : point.values[name].toFixed(4)))))),
    );
  }
}

// History page: spot, India VIX and the main scores over time (data/history.json), one line
// chart per metric; runs in which a metric was unavailable are gaps.

import { h, clear } from "../dom.js";
import { loadHistory } from "../api.js";
import { num, istTime } from "../format.js";
import { lineChart } from "../charts.js";

const root = document.getElementById("history");

function chart(m) {
  const el = h("article", { class: "card", dataset: { metric: m.metric } }, h("h2", { text: m.label }), h("p", { class: "muted small" }, h("code", { text: m.metric })));
  const pts = m.points.map((p) => ({ x: Date.parse(p.at), y: p.value ?? null }));
  const values = pts.filter((p) => p.y !== null);
  if (values.length === 0) {
    el.append(h("p", { class: "muted", text: m.points.length ? `All ${m.points.length} recorded runs had this metric unavailable.` : "No runs recorded yet." }));
    return el;
  }
  const last = m.points[m.points.length - 1];
  el.append(h("p", { class: "small", text: `${values.length} of ${m.points.length} runs with a value · latest ${num(values[values.length - 1].y, 2)} (${istTime(last.at)}, ${last.status})` }));
  if (values.length > 1) {
    const span = values[values.length - 1].x - values[0].x;
    const ist = (opts) => new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", ...opts });
    const fmt = span > 400 * 86400000 ? ist({ month: "short", year: "numeric" })
      : span > 3 * 86400000 ? ist({ day: "numeric", month: "short" })
        : ist({ day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
    const big = Math.max(...values.map((p) => Math.abs(p.y))) >= 1000;
    lineChart(el, {
      series: [{ name: m.metric, cls: "accent", data: pts }], height: 160, points: values.length < 40, xTicks: 4,
      xFormat: (v) => fmt.format(new Date(v)), yFormat: (v) => num(v, big ? 0 : 2), label: `${m.label} over time`,
    });
  }
  return el;
}

loadHistory().then((doc) => {
  clear(root);
  if (doc.problem) {
    root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "No history" }),
      h("p", { text: doc.problem.cause }), h("p", {}, "Fix: ", h("code", { text: doc.problem.fix }))));
  }
  for (const m of doc.metrics) root.append(chart(m));
}, (e) => {
  clear(root);
  root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "Cannot load the history" }), h("p", { text: e.cause }), h("p", {}, "Fix: ", h("code", { text: e.fix || "aegis run" }))));
});

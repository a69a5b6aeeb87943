// History page: spot, India VIX and the main scores over time (data/history.json), one line
// chart per metric; runs in which a metric was unavailable are gaps.

import { h, clear } from "../dom.js";
import { loadHistory, initIndex } from "../api.js";
import { initIndexPicker } from "../indices.js";
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

/** Institutional flows from NSE's daily reports (`aegis fetch --reports`). */
function flows(f) {
  const day = (d) => Date.parse(`${d}T15:30:00+05:30`);
  const dFmt = new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", day: "numeric", month: "short" });
  const cards = [];
  const cash = h("article", { class: "card", dataset: { flow: "fii_dii" } }, h("h2", { text: "FII / DII net cash buying (₹ crore)" }),
    h("p", { class: "muted small", text: "NSE's daily FII/FPI and DII cash-market activity: purchases − sales. Source: NSE, fetched by aegis fetch --reports." }));
  const rows = Array.isArray(f.fii_dii) ? f.fii_dii : [];
  if (rows.length === 0) {
    cash.append(h("p", { class: "muted", text: f.fii_dii && f.fii_dii.error ? `Cannot read: ${f.fii_dii.error}` : "Nothing stored yet. Fix: aegis fetch --reports" }));
  } else {
    const last = rows[rows.length - 1];
    cash.append(h("p", { class: "small", text: `${rows.length} sessions · latest ${last.date}: FII ${num(last.fii_net_crore, 2)}, DII ${num(last.dii_net_crore, 2)}` }));
    if (rows.length > 1) lineChart(cash, {
      series: [{ name: "FII", cls: "down", data: rows.map((r) => ({ x: day(r.date), y: r.fii_net_crore })) }, { name: "DII", cls: "up", data: rows.map((r) => ({ x: day(r.date), y: r.dii_net_crore })) }],
      height: 160, points: rows.length < 40, xTicks: 4, xFormat: (v) => dFmt.format(new Date(v)), yFormat: (v) => num(v, 0), label: "FII and DII net cash buying per session",
    });
  }
  cards.push(cash);
  const oi = h("article", { class: "card", dataset: { flow: "participants" } }, h("h2", { text: "Net index futures by participant (contracts)" }),
    h("p", { class: "muted small", text: "NSE's participant-wise open interest: long − short index futures for FII, DII, Pro and Client." }));
  const prow = Array.isArray(f.participants) ? f.participants : [];
  if (prow.length === 0) {
    oi.append(h("p", { class: "muted", text: f.participants && f.participants.error ? `Cannot read: ${f.participants.error}` : "Nothing stored yet. Fix: aegis fetch --reports" }));
  } else {
    const kinds = [["FII", "down"], ["DII", "up"], ["Pro", "accent"], ["Client", "neutral"]];
    const latest = prow.filter((r) => r.date === prow[prow.length - 1].date);
    oi.append(h("p", { class: "small", text: `latest ${latest[0].date}: ` + latest.map((r) => `${r.client_type} ${num(r.net_index_futures, 0)}`).join(" · ") }));
    const series = kinds.map(([k, cls]) => ({ name: k, cls, data: prow.filter((r) => r.client_type === k).map((r) => ({ x: day(r.date), y: r.net_index_futures })) }));
    if (series[0].data.length > 1) lineChart(oi, { series, height: 160, xTicks: 4, xFormat: (v) => dFmt.format(new Date(v)), yFormat: (v) => num(v, 0), label: "Net index futures per participant" });
  }
  cards.push(oi);
  return cards;
}

// The index first (the selector reloads the page for another index), then its document.
initIndex().then(() => {
  initIndexPicker(document.getElementById("index-picker"), () => location.reload());
  return loadHistory();
}).then((doc) => {
  clear(root);
  if (doc.problem) {
    root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "No history" }),
      h("p", { text: doc.problem.cause }), h("p", {}, "Fix: ", h("code", { text: doc.problem.fix }))));
  }
  for (const m of doc.metrics) root.append(chart(m));
  if (doc.flows) root.append(...flows(doc.flows));
}, (e) => {
  clear(root);
  root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "Cannot load the history" }), h("p", { text: e.cause }), h("p", {}, "Fix: ", h("code", { text: e.fix || "aegis run" }))));
});

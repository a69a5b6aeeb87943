// Model report: one card per model file (data/models.json), read generically — whatever fields
// the card holds are shown. Reliability diagram from the out-of-sample reliability bins, skill
// against the baseline and climatology, and skill over time when the card carries a series.

import { h, clear } from "../dom.js";
import { loadModels, initIndex } from "../api.js";
import { initIndexPicker } from "../indices.js";
import { num, pct } from "../format.js";
import { lineChart, barChart, legend } from "../charts.js";

const root = document.getElementById("models");
const METRIC_ROWS = [
  ["n", "Out-of-sample rows", (v) => num(v, 0)],
  ["log_loss", "Log loss", (v) => num(v, 4)],
  ["brier", "Brier score", (v) => num(v, 4)],
  ["brier_skill", "Brier skill vs climatology", (v) => num(v, 4)],
  ["accuracy", "Accuracy", (v) => pct(v, 1)],
  ["auc", "AUC", (v) => num(v, 3)],
  ["ece", "Calibration error (ECE)", (v) => num(v, 4)],
];

const fmtValue = (v) => (v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));

function metricsTable(oos) {
  const cols = [["model", "Model"], ["calibrated", "Calibrated"], ["baseline", "Logistic baseline"]].filter(([k]) => oos[k]);
  return h("div", { class: "table-wrap" }, h("table", { class: "metrics" },
    h("thead", {}, h("tr", {}, h("th", { text: "Out of sample" }), cols.map(([, t]) => h("th", { text: t })))),
    h("tbody", {}, METRIC_ROWS.map(([k, t, f]) => h("tr", {}, h("td", { text: t }),
      cols.map(([c]) => h("td", { text: oos[c][k] === null || oos[c][k] === undefined ? "—" : f(oos[c][k]) })))))));
}

function reliability(el, oos) {
  const series = [];
  for (const [k, cls] of [["calibrated", "up"], ["model", "accent"], ["baseline", "neutral"]]) {
    const m = oos[k];
    if (!m || !Array.isArray(m.reliability)) continue;
    const data = m.reliability.filter((b) => b.mean_predicted !== null && b.observed_frequency !== null)
      .map((b) => ({ x: b.mean_predicted, y: b.observed_frequency }));
    if (data.length) series.push({ name: k, cls, data });
  }
  if (!series.length) {
    el.append(h("p", { class: "muted small", text: "This card has no reliability bins (the model was not evaluated out of sample); run `aegis train`." }));
    return;
  }
  series.push({ name: "diagonal", cls: "diagonal", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }] });
  lineChart(el, { series, height: 220, low: 0, high: 1, points: true, xTicks: 5, xFormat: (v) => pct(v), yFormat: (v) => pct(v), label: "Reliability diagram: mean predicted probability against observed frequency per bin" });
  el.append(legend(series.filter((s) => s.name !== "diagonal").map((s) => ({ name: s.name, cls: s.cls })).concat([{ name: "perfect calibration", cls: "neutral" }])));
}

function skill(el, oos) {
  const rows = [["model", "accent"], ["calibrated", "up"], ["baseline", "neutral"]].filter(([k]) => oos[k] && Number.isFinite(oos[k].brier_skill));
  if (!rows.length) return;
  barChart(el, {
    labels: rows.map(([k]) => k), series: [{ name: "Brier skill", cls: "accent", data: rows.map(([k]) => oos[k].brier_skill) }],
    height: 140, low: Math.min(0, ...rows.map(([k]) => oos[k].brier_skill)), yFormat: (v) => num(v, 3),
    label: "Brier skill score against climatology: model, calibrated model and the logistic baseline",
  });
  const m = oos.calibrated || oos.model;
  const beats = m && oos.baseline && m.brier_skill > 0 && m.brier_skill > oos.baseline.brier_skill;
  el.append(h("p", { class: `skill ${beats ? "has-skill" : "no-skill"}`, text: beats
    ? `Beats climatology and the logistic baseline over ${num(oos.n, 0)} out-of-sample rows (${oos.first_test_date} → ${oos.last_test_date}, ${oos.folds} refits).`
    : `No demonstrated skill over the baseline and climatology in ${num(oos.n, 0)} out-of-sample rows; read its probabilities as base rates.` }));
}

/** Skill over time: per calendar year of the walk-forward, the Brier skill of the trees and of the logistic baseline (`skill_series`, computed from the file's out-of-sample rows). */
function skillOverTime(el, entry) {
  const raw = entry.skill_series;
  if (!Array.isArray(raw) || raw.length < 2) {
    el.append(h("p", { class: "muted small", text: "Skill over time: fewer than two years of out-of-sample rows in this file." }));
    return;
  }
  const pts = (k) => raw.map((p) => ({ x: Date.parse(p.date), y: p[k] })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  el.append(h("h3", { text: "Skill over time (per year)" }));
  lineChart(el, {
    series: [{ name: "model", cls: "accent", data: pts("brier_skill") }, { name: "baseline", cls: "neutral", data: pts("baseline_brier_skill") }],
    height: 120, xTicks: 4, xFormat: (v) => new Date(v).toISOString().slice(0, 4), yFormat: (v) => num(v, 3),
    label: `Brier skill against climatology per year (model and logistic baseline; n = ${raw.map((p) => p.n).join(", ")})`,
  });
}

function card(entry) {
  if (entry.error) {
    return h("article", { class: "card", dataset: { model: entry.file } }, h("h2", { text: entry.file }),
      h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "Cannot read this model file" }), h("p", { text: entry.error })));
  }
  const c = entry.card;
  const tw = c.training_window || {};
  const cv = c.code_version || {};
  const rows = [
    ["File", `${entry.file} (${entry.format ?? "format"} version ${fmtValue(entry.format_version)})`],
    ["Kind", fmtValue(c.kind)],
    ["Classes", Array.isArray(c.classes) && c.classes.length ? c.classes.join(", ") : "—"],
    ["Label horizon", fmtValue(c.label_horizon)],
    ["Training window", tw.first ? `${tw.first} → ${tw.last}` : "—"],
    ["Training rows", fmtValue(c.n_train)],
    ["Features", Array.isArray(c.feature_names) ? `${c.feature_names.length}: ${c.feature_names.join(", ")}` : "—"],
    ["Feature hash", fmtValue(c.feature_hash)],
    ["Code version", `${fmtValue(cv.crate_version)}${cv.git_describe ? ` (${cv.git_describe})` : ""}`],
    ["Created", fmtValue(c.created_at)],
  ];
  const known = new Set(["name", "version", "kind", "classes", "label_horizon", "training_window", "n_train", "feature_names", "feature_hash", "code_version", "created_at", "hyper_parameters", "oos_metrics"]);
  for (const [k, v] of Object.entries(c)) if (!known.has(k)) rows.push([k, fmtValue(v)]);
  const el = h("article", { class: "card", dataset: { model: c.name } },
    h("h2", { text: `${c.name ?? entry.file}@${c.version ?? "?"}` }),
    h("dl", { class: "kv" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    h("h3", { text: "Hyper-parameters" }),
    h("dl", { class: "kv" }, Object.entries(c.hyper_parameters || {}).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: fmtValue(v) })])));
  const oos = c.oos_metrics;
  if (!oos) {
    el.append(h("p", { class: "skill no-skill", text: "Not evaluated out of sample: no skill is demonstrated. Run `aegis train`." }));
    return el;
  }
  el.append(h("h3", { text: "Out-of-sample metrics" }), metricsTable(oos));
  const cols = h("div", { class: "cols" });
  const left = h("div", {}, h("h3", { text: "Reliability diagram" }));
  const right = h("div", {}, h("h3", { text: "Skill against the baseline" }));
  reliability(left, oos);
  skill(right, oos);
  skillOverTime(right, entry);
  cols.append(left, right);
  el.append(cols);
  return el;
}

// The index first (the selector reloads the page for another index), then its document.
initIndex().then(() => {
  initIndexPicker(document.getElementById("index-picker"), () => location.reload());
  return loadModels();
}).then((doc) => {
  clear(root);
  if (doc.problem) {
    root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "No model report" }),
      h("p", { text: doc.problem.cause }), h("p", {}, "Fix: ", h("code", { text: doc.problem.fix }))));
  }
  for (const m of doc.models) root.append(card(m));
}, (e) => {
  clear(root);
  root.append(h("div", { class: "unavailable-note unavailable" }, h("p", { class: "u-title", text: "Cannot load the model cards" }), h("p", { text: e.cause }), h("p", {}, "Fix: ", h("code", { text: e.fix || "aegis train" }))));
});

// The tile: title, value and visual, provenance and age in its footer (full details on hover
// and in the help pop-up), a help button, and the unavailable state with reason and fix.
// Clicking anywhere on a tile opens its help.

import { h } from "./dom.js";
import { age, istTime } from "./format.js";
import { HELP } from "./help.js";
import { openModal } from "./modal.js";
import { currentIndex, withIndex, PRIMARY } from "./api.js";

/**
 * A help text for the index shown: "NIFTY" / "NIFTY 50" become its name. India VIX's texts
 * keep NIFTY (VIX is NIFTY 50's implied vol) and say so when another index is shown.
 */
function forIndex(text, key) {
  const { code, name } = currentIndex();
  if (code === PRIMARY || !text || /vix/.test(key)) return text;
  return text.replace(/NIFTY(?: 50)?/g, name);
}

const STATUS_RANK = { ok: 0, simulated: 1, stale: 2, unavailable: 3 };

/** Whether a metric (value fields + provenance) has a value to show. */
export const available = (m) => Boolean(m && m.provenance && m.provenance.status !== "unavailable");

/** The worst status among metrics. */
function worst(metrics) {
  return metrics.filter(Boolean).map((m) => m.provenance.status).reduce((a, b) => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a), "ok");
}

/** "model · direction_h1@4" / "formula" / "option chain" / "rule". */
export function methodText(p) {
  const method = { model: "model", formula: "formula", chain: "option chain", rule: "rule" }[p.method] || p.method;
  return p.model ? `${method} · ${p.model}` : method;
}

/** One line of provenance: method, model, as-of and age, status. */
export function provenanceLine(p) {
  return `${methodText(p)} · as of ${istTime(p.as_of)} (${age(p.as_of)}) · ${p.status}`;
}

/** The visible "why and what to do" block of an unavailable (or stale) metric. */
export function unavailableNote(m, what = null) {
  const p = m.provenance;
  return h("div", { class: `unavailable-note ${p.status}` },
    h("p", { class: "u-title", text: what ? `${what}: ${p.status}` : p.status === "unavailable" ? "Unavailable" : p.status }),
    p.reason ? h("p", { class: "u-reason" }, h("span", { class: "k", text: "Why: " }), p.reason) : null,
    p.fix ? h("p", { class: "u-fix" }, h("span", { class: "k", text: "Fix: " }), h("code", { text: p.fix })) : null);
}

/** Opens the help pop-up of a tile. */
export function openHelp(helpKey, title, metrics) {
  const help = HELP[helpKey];
  const body = [];
  if (help) {
    const t = (k) => forIndex(help[k], helpKey);
    body.push(h("h3", { text: "What it shows" }), h("p", { text: t("what") }));
    if (/vix/.test(helpKey) && currentIndex().code !== PRIMARY) {
      body.push(h("p", { class: "index-note", text: `India VIX is computed from NIFTY 50 options: it is NIFTY 50's implied volatility, not ${currentIndex().name}'s. It is shown as the market-wide volatility gauge.` }));
    }
    body.push(h("h3", { text: "How to read it" }), h("p", { text: t("read") }));
    body.push(h("h3", { text: "How a trader might use it" }), h("p", { text: t("use") }));
    body.push(h("h3", { text: "Method" }), h("p", { text: t("method") }));
  }
  const provs = metrics.filter(Boolean).map((m) => m.provenance);
  if (provs.length) {
    body.push(h("h3", { text: "Where these numbers came from" }),
      h("ul", { class: "prov-list" }, provs.map((p) => h("li", {},
        provenanceLine(p),
        p.reason ? h("div", { class: "small", text: `Why: ${p.reason}` }) : null,
        p.fix ? h("div", { class: "small" }, "Fix: ", h("code", { text: p.fix })) : null))));
  }
  body.push(h("p", { class: "muted small", text: "Probabilities are calibrated estimates with the out-of-sample skill stated on the tile; they are not advice." }));
  openModal({ title: help ? help.title || title : title, body, id: "help-dialog", className: "help" });
}

/**
 * A tile. `id` (data-tile), `title`, `help` (key in HELP), `metrics` (the first is the primary:
 * if it is unavailable the tile shows why instead of a value), `build(body)` fills the body,
 * `cls` extra classes (e.g. "wide").
 */
export function tile({ id, title, help, metrics = [], build, cls = "" }) {
  const primary = metrics[0];
  const status = metrics.length ? worst(metrics) : "ok";
  const helpBtn = h("button", { type: "button", class: "help-btn", "aria-label": `Help: ${title}`, title: "What is this?", text: "?" });
  const body = h("div", { class: "tile-body" });
  const el = h("article", { class: `tile status-${status} ${cls}`, dataset: { tile: id, status } },
    h("header", { class: "tile-head" }, h("h3", { class: "tile-title", text: title }), helpBtn),
    body);
  if (primary && !available(primary)) {
    body.append(unavailableNote(primary));
  } else {
    try {
      build(body);
    } catch (e) {
      // A payload that breaks a tile must be visible, not a blank space.
      body.append(h("div", { class: "unavailable-note unavailable" },
        h("p", { class: "u-title", text: "Cannot display" }),
        h("p", { class: "u-reason", text: `The payload's data for this tile is not in the expected shape (${e.message}).` }),
        h("p", { class: "u-fix" }, h("span", { class: "k", text: "Fix: " }), h("code", { text: "aegis run" }))));
      console.error(`tile ${id}:`, e);
    }
  }
  if (primary) {
    const p = primary.provenance;
    el.append(h("footer", { class: "prov", title: metrics.filter(Boolean).map((m) => provenanceLine(m.provenance)).join("\n") },
      h("span", { class: `chip ${p.status}`, text: p.status }),
      h("span", { class: "prov-method", text: methodText(p) }),
      h("span", { class: "prov-age", text: age(p.as_of) })));
  }
  const open = () => openHelp(help, title, metrics);
  helpBtn.addEventListener("click", (e) => { e.stopPropagation(); open(); });
  el.addEventListener("click", (e) => {
    if (e.target.closest("a, button, select, input")) return;
    open();
  });
  return el;
}

/** The Help tile of a tab: how to read the tiles, and a link to the full help. */
export function helpTile(view) {
  return tile({
    id: `${view}-help`, title: "Help", help: `${view}-help`, metrics: [],
    build(body) {
      body.append(
        h("p", { text: "Click any tile for what it shows, how to read it, how a trader might use it and its method." }),
        h("p", { class: "small muted", text: "Corner chips: ok = current data · stale = older than the limit · simulated = demo market · unavailable = could not be computed (reason and fix shown)." }),
        h("p", { class: "small" }, h("a", { href: withIndex("models.html"), text: "Model report" }), " · ", h("a", { href: withIndex("history.html"), text: "History charts" })));
    },
  });
}

/** A key/value row list: [[label, value, cls?]]. */
export function kv(rows) {
  return h("dl", { class: "kv" }, rows.filter(Boolean).map(([k, v, cls]) => [h("dt", { text: k }), h("dd", { class: cls || "", text: v })]));
}

/** The big headline value with an optional sub-line. */
export function headline(value, cls = "", sub = null) {
  return h("div", { class: "headline" }, h("span", { class: `big ${cls}`, text: value }), sub ? h("span", { class: `sub ${cls}`, text: sub }) : null);
}

/** A list of reasons ({text, adverse}) with ✗ / ✓ marks. */
export function reasons(list) {
  return h("ul", { class: "reasons" }, (list || []).map((r) => h("li", { class: r.adverse ? "adverse" : "favourable" },
    h("span", { class: "mark", "aria-hidden": "true", text: r.adverse ? "✗" : "✓" }),
    h("span", { class: "sr-only", text: r.adverse ? "Against: " : "For: " }), r.text)));
}

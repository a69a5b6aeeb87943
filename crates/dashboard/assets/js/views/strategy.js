// Strategy tab: a preset picker, editable legs, the payoff at expiry and today, breakevens,
// maximum profit and loss, net premium, net greeks and the probability of profit from the vol
// the user picks. Every edit is computed on the server (`GET api/strategy?legs=…&vol=…`, the
// same quant::strategy code as `aegis strategy`); the state lives in the URL
// (#strategy?legs=…&vol=…), so a link reproduces the strategy. In a static export there is no
// server: the precomputed presets of data/toolkit.json are shown and editing says it needs
// `aegis serve`.

import { h, clear } from "../dom.js";
import { num, day } from "../format.js";
import { tile, kv, headline, available, unavailableNote } from "../tile.js";
import { lineChart, legend } from "../charts.js";
import { currentIndex, PRIMARY } from "../api.js";

const VOLS = [["atm-iv", "ATM IV"], ["vix", "India VIX"], ["forecast", "Model forecast"]];

/** The strategy state in the URL hash: { legs: "…", vol, preset }. */
export function readUrlState() {
  const q = location.hash.split("?")[1] || "";
  const p = new URLSearchParams(q);
  return { legs: p.get("legs") || "", vol: p.get("vol") || "atm-iv", preset: p.get("preset") || "" };
}

function writeUrlState(st) {
  // Legs are [a-z0-9:.,-] only: kept readable in the link (":" and "," are valid in a fragment).
  const parts = [];
  if (st.legs) parts.push(`legs=${st.legs.replace(/[^a-z0-9:.,-]/gi, "")}`);
  if (st.preset) parts.push(`preset=${encodeURIComponent(st.preset)}`);
  parts.push(`vol=${encodeURIComponent(st.vol)}`);
  history.replaceState(null, "", `#strategy?${parts.join("&")}`);
}

const parseLegs = (text) => text.split(",").filter((s) => s.trim()).map((s) => {
  const [side, kind, strike, expiry, lots] = s.split(":");
  return { side, kind, strike: Number(strike), expiry, lots: Number(lots) };
});
const legsText = (legs) => legs.map((l) => `${l.side}:${l.kind}:${l.strike}:${l.expiry}:${l.lots}`).join(",");

async function fetchStrategy(st) {
  const p = new URLSearchParams();
  if (st.legs) p.set("legs", st.legs); else if (st.preset) p.set("preset", st.preset);
  p.set("vol", st.vol);
  // The index shown: its chain, and its contract's lot size.
  if (currentIndex().code !== PRIMARY) p.set("index", currentIndex().code);
  let res;
  try {
    res = await fetch(`api/strategy?${p.toString()}`, { cache: "no-store", headers: { Accept: "application/json" } });
  } catch (e) {
    return { kind: "static", message: e.message };
  }
  let body = null;
  try { body = await res.json(); } catch (e) { /* a static host answers HTML or nothing */ }
  if (res.status === 404 || !body) return { kind: "static", message: `HTTP ${res.status}` };
  if (!res.ok) return { kind: "error", cause: body.cause, fix: body.fix };
  return { kind: "ok", metric: body };
}

const extreme = (e) => (e.unlimited ? "unlimited" : `${num(e.points, 2)} pts · ₹${num(e.rupees, 0)}`);

function resultView(m, out) {
  clear(out);
  out.dataset.state = "ok";
  const v = m;
  out.append(headline(`${num(v.probability_of_profit * 100, 1)}%`, v.probability_of_profit >= 0.5 ? "up" : "down", `probability of profit (${v.vol_source}, σ ${num(v.vol_pct, 2)}%)`));
  const pts = v.curve;
  lineChart(out, {
    series: [
      { name: "At expiry", cls: "accent", data: pts.map((p) => ({ x: p.x, y: p.at_expiry })) },
      { name: "Today", cls: "neutral", data: pts.map((p) => ({ x: p.x, y: p.today })) },
    ],
    height: 170, xFormat: (x) => num(x, 0), yFormat: (y) => num(y, 0), label: "Payoff in points at expiry and today",
  });
  out.append(legend([{ name: "At expiry", cls: "accent" }, { name: "Today (Black-76)", cls: "neutral" }]));
  const be = h("p", { class: "breakevens", id: "strategy-breakevens" }, "Breakevens: ",
    v.breakevens.length ? v.breakevens.map((b, i) => [i ? " · " : "", h("span", { class: "breakeven", dataset: { level: String(b.level) }, text: num(b.level, 2) }), ` (touch ${num(b.touch_probability * 100, 0)}%)`]) : "none");
  out.append(be);
  const g = v.greeks_rupees;
  out.append(kv([
    ["Net premium", `${v.premium_flow} ${num(Math.abs(v.net_premium_points), 2)} pts · ₹${num(Math.abs(v.net_premium_rupees), 0)}`],
    ["Max profit", extreme(v.max_profit), "up"],
    ["Max loss", extreme(v.max_loss), "down"],
    ["Greeks (₹, position)", `Δ ${num(g.delta, 1)} · Γ ${num(g.gamma, 4)} · Θ/day ${num(g.theta_per_day, 0)} · vega ${num(g.vega_per_point, 0)}`],
    ["Lot · nearest expiry · forward", `${v.lot_size} · ${day(v.nearest_expiry)} · ${num(v.forward, 2)}`],
    ["At-expiry method", v.method],
  ]));
}

function legsEditor(legs, onChange, disabled) {
  const table = h("table", { class: "legs", id: "strategy-legs" },
    h("thead", {}, h("tr", {}, ["Side", "Kind", "Strike", "Expiry", "Lots", ""].map((t) => h("th", { text: t })))));
  const body = h("tbody");
  legs.forEach((l, i) => {
    const sel = (name, opts, value) => {
      const s = h("select", { id: `leg-${i}-${name}`, "aria-label": `Leg ${i + 1} ${name}`, disabled }, opts.map((o) => h("option", { value: o, selected: o === value, text: o })));
      s.addEventListener("change", () => { l[name] = s.value; onChange(); });
      return s;
    };
    const input = (name, value, attrs = {}) => {
      const el = h("input", { id: `leg-${i}-${name}`, "aria-label": `Leg ${i + 1} ${name}`, value: String(value), disabled, ...attrs });
      el.addEventListener("change", () => { l[name] = attrs.type === "number" ? Number(el.value) : el.value; onChange(); });
      return el;
    };
    const rm = h("button", { type: "button", class: "icon-btn", "aria-label": `Remove leg ${i + 1}`, text: "×", disabled });
    rm.addEventListener("click", () => { legs.splice(i, 1); onChange(); });
    body.append(h("tr", {},
      h("td", {}, sel("side", ["buy", "sell"], l.side)),
      h("td", {}, sel("kind", ["call", "put"], l.kind)),
      h("td", {}, input("strike", l.strike, { type: "number", step: "50", min: "1" })),
      h("td", {}, input("expiry", l.expiry, { type: "text", size: "10" })),
      h("td", {}, input("lots", l.lots, { type: "number", min: "1", step: "1" })),
      h("td", {}, rm)));
  });
  table.append(body);
  return table;
}

/** Renders the Strategy tab into `grid`; `toolkit` may be null (then only the server is used). */
export function render(toolkit, grid) {
  const st = readUrlState();
  const presets = toolkit ? toolkit.strategies : [];
  let legs = parseLegs(st.legs);
  if (!legs.length) {
    const first = presets.find((p) => available(p.analysis) && (!st.preset || p.preset === st.preset.replaceAll("-", "_")));
    if (first) legs = parseLegs(first.analysis.legs_text);
    if (first) st.preset = first.preset;
  }
  const out = h("div", { class: "strategy-result", id: "strategy-result", dataset: { state: "pending" } });
  const note = h("p", { class: "small muted", id: "strategy-mode" });
  const editorBox = h("div");
  const volSel = h("select", { id: "strategy-vol", "aria-label": "Volatility for the probabilities" }, VOLS.map(([v, t]) => h("option", { value: v, selected: v === st.vol, text: t })));
  const presetSel = h("select", { id: "strategy-preset", "aria-label": "Preset" },
    h("option", { value: "", text: "Custom legs" }),
    presets.map((p) => h("option", { value: p.preset, text: p.title, selected: st.preset.replaceAll("-", "_") === p.preset })));
  const addBtn = h("button", { type: "button", id: "strategy-add-leg", text: "+ leg" });
  let staticMode = false;

  const showPreset = (key) => {
    const p = presets.find((x) => x.preset === key);
    if (!p) return false;
    if (!available(p.analysis)) { clear(out); out.dataset.state = "error"; out.append(unavailableNote(p.analysis)); return true; }
    resultView(p.analysis, out);
    return true;
  };

  const compute = async () => {
    const state = { legs: legsText(legs), vol: volSel.value, preset: "" };
    writeUrlState(state);
    if (!legs.length) { clear(out); out.dataset.state = "error"; out.append(h("p", { class: "muted", text: "Add a leg or pick a preset." })); return; }
    out.dataset.state = "pending";
    const r = await fetchStrategy(state);
    if (r.kind === "static") {
      staticMode = true;
      note.textContent = "Static export: showing the precomputed presets (probabilities from the ATM IV). Editing legs needs the live server: run `aegis serve`.";
      draw();
      if (!showPreset(presetSel.value || (presets[0] && presets[0].preset))) { clear(out); out.dataset.state = "error"; out.append(h("p", { class: "muted", text: "No precomputed strategy in this export." })); }
      out.dataset.state = "static";
      return;
    }
    if (r.kind === "error") {
      clear(out);
      out.dataset.state = "error";
      out.append(unavailableNote({ provenance: { status: "unavailable", reason: r.cause, fix: r.fix } }));
      return;
    }
    note.textContent = `Computed on the server from the chain of ${r.metric.provenance.as_of ? new Date(r.metric.provenance.as_of).toLocaleString() : "?"} (${r.metric.provenance.status}).`;
    resultView(r.metric, out);
  };

  const draw = () => {
    clear(editorBox);
    editorBox.append(legsEditor(legs, () => { presetSel.value = ""; draw(); compute(); }, staticMode));
    addBtn.disabled = staticMode;
  };

  presetSel.addEventListener("change", () => {
    const p = presets.find((x) => x.preset === presetSel.value);
    if (staticMode) { showPreset(presetSel.value); return; }
    if (p && available(p.analysis)) {
      legs = parseLegs(p.analysis.legs_text);
      draw();
      compute();
    } else if (p) {
      showPreset(p.preset);
    }
  });
  volSel.addEventListener("change", () => { if (!staticMode) compute(); });
  addBtn.addEventListener("click", () => {
    const last = legs[legs.length - 1];
    legs.push(last ? { ...last } : { side: "buy", kind: "call", strike: 0, expiry: toolkit && toolkit.explorer[0] ? toolkit.explorer[0].expiry : "", lots: 1 });
    draw();
    compute();
  });

  grid.append(tile({
    id: "strategy-builder", title: "Strategy builder", help: "strategy", metrics: [], cls: "wide tall",
    build(body) {
      body.append(h("div", { class: "toolbar" },
        h("label", { for: "strategy-preset", text: "Preset" }), presetSel,
        h("label", { for: "strategy-vol", text: "Probability vol" }), volSel, addBtn));
      body.append(editorBox, note, out);
    },
  }));
  draw();
  compute();
}

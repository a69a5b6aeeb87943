// Chain tab: the option-chain explorer (strikes around the money with our IV and greeks; ATM,
// max pain and OI walls marked), OI and change-in-OI by strike, the IV smile, gamma exposure of
// the chosen expiry and across all expiries with its sign convention, the volatility history and
// the chosen expiry's intraday chain series. Reads data/toolkit.json (written by `aegis run` beside the payload).

import { h } from "../dom.js";
import { num, day, istTime } from "../format.js";
import { tile, kv, headline, available, unavailableNote } from "../tile.js";
import { lineChart, barChart, legend } from "../charts.js";

const dash = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : num(x, d));
const pctText = (x, d = 1) => (x === null || x === undefined ? "–" : `${num(x * 100, d)}%`);

/** The expiry selector of the explorer. */
export function expirySelector(toolkit, selected, onChange) {
  const sel = h("select", { id: "chain-expiry-select", "aria-label": "Expiry" },
    toolkit.explorer.map((e, i) => h("option", { value: String(i), selected: i === selected, text: day(e.expiry) })));
  sel.addEventListener("change", () => onChange(Number(sel.value)));
  return h("div", { class: "toolbar" }, h("label", { for: "chain-expiry-select", text: "Expiry" }), sel);
}

function legCells(l, side) {
  if (!l) return Array.from({ length: 6 }, () => h("td", { class: "num", text: "–" }));
  const cells = [
    h("td", { class: "num", text: dash(l.open_interest, 0) }),
    h("td", { class: `num ${l.change_in_oi > 0 ? "up" : l.change_in_oi < 0 ? "down" : ""}`, text: dash(l.change_in_oi, 0) }),
    h("td", { class: "num", text: dash(l.last_price) }),
    h("td", { class: "num", text: dash(l.iv_pct), title: l.note || "" }),
    h("td", { class: "num", text: dash(l.delta, 3) }),
    h("td", { class: "num", text: l.gamma === null || l.gamma === undefined ? "–" : l.gamma.toExponential(2), title: `theta/day ${dash(l.theta_per_day)} · vega/vol-pt ${dash(l.vega_per_point)} · bid ${dash(l.bid)} · ask ${dash(l.ask)} · volume ${dash(l.volume, 0)}` }),
  ];
  return side === "call" ? cells : cells.reverse();
}

function explorerTable(e) {
  const head = ["OI", "ΔOI", "LTP", "IV%", "Δ", "Γ"];
  return h("div", { class: "table-scroll" },
    h("table", { class: "explorer", id: "explorer-table" },
      h("thead", {},
        h("tr", {}, h("th", { colspan: "6", class: "calls", text: "Calls" }), h("th", { text: "Strike" }), h("th", { colspan: "6", class: "puts", text: "Puts" })),
        h("tr", {}, head.map((t) => h("th", { text: t })), h("th", { text: "" }), [...head].reverse().map((t) => h("th", { text: t })))),
      h("tbody", {}, e.rows.map((r) => {
        const marks = [r.atm && "ATM", r.max_pain && "MP", r.call_wall && "CW", r.put_wall && "PW"].filter(Boolean);
        const cls = ["row", r.atm ? "atm" : "", r.max_pain ? "max-pain" : "", r.call_wall ? "call-wall" : "", r.put_wall ? "put-wall" : ""].join(" ").trim();
        return h("tr", { class: cls, dataset: { strike: String(r.strike), marks: marks.join(",") } },
          legCells(r.call, "call"),
          h("td", { class: "strike" }, num(r.strike, 0), marks.length ? h("span", { class: "marks", text: ` ${marks.join(" ")}` }) : null),
          legCells(r.put, "put"));
      }))));
}

function explorerTile(entry) {
  return tile({
    id: "chain-explorer", title: `Option chain · ${day(entry.expiry)}`, help: "chain-explorer", metrics: [entry.table], cls: "wide tall",
    build(body) {
      const e = entry.table;
      body.append(kv([
        ["Forward (parity)", dash(e.forward)],
        ["ATM strike", num(e.atm_strike, 0)],
        ["ATM IV", e.atm_iv_pct === null ? "–" : `${num(e.atm_iv_pct, 2)}%`],
        ["Max pain", dash(e.max_pain, 0)],
        ["Call wall / put wall", `${dash(e.call_wall, 0)} / ${dash(e.put_wall, 0)}`],
        ["PCR (OI)", dash(e.pcr_oi, 3)],
        ["Days to expiry · lot", `${num(e.days_to_expiry, 1)} · ${e.lot_size ?? "?"}`],
      ]));
      body.append(explorerTable(e));
      body.append(h("p", { class: "small muted", text: "ATM = strike nearest the parity forward · MP = max pain · CW / PW = call / put OI wall. IV and greeks are ours (Black-76 on the parity forward), not NSE's. Hover a Γ cell for theta, vega, bid/ask and volume." }));
      for (const n of e.notes || []) body.append(h("p", { class: "small muted", text: `Note: ${n}` }));
    },
  });
}

function oiTile(entry) {
  return tile({
    id: "chain-oi", title: "Open interest by strike", help: "chain-oi", metrics: [entry.table], cls: "wide",
    build(body) {
      const rows = entry.table.rows;
      const labels = rows.map((r) => num(r.strike, 0));
      const oi = (r, s) => (r[s] ? r[s].open_interest : null);
      const ch = (r, s) => (r[s] ? r[s].change_in_oi : null);
      barChart(body, { labels, series: [{ name: "Call OI", cls: "down", data: rows.map((r) => oi(r, "call")) }, { name: "Put OI", cls: "up", data: rows.map((r) => oi(r, "put")) }], height: 150, yFormat: (v) => num(v / 1000, 0) + "k", label: "Call and put open interest by strike", seriesBarDistance: 6 });
      body.append(legend([{ name: "Call OI (resistance)", cls: "down" }, { name: "Put OI (support)", cls: "up" }]));
      barChart(body, { labels, series: [{ name: "Call ΔOI", cls: "down", data: rows.map((r) => ch(r, "call")) }, { name: "Put ΔOI", cls: "up", data: rows.map((r) => ch(r, "put")) }], height: 130, low: undefined, yFormat: (v) => num(v / 1000, 0) + "k", label: "Change in open interest by strike", seriesBarDistance: 6 });
      body.append(h("p", { class: "small muted", text: "Lower chart: change in OI since the previous session (contracts)." }));
    },
  });
}

function smileTile(entry) {
  return tile({
    id: "chain-smile", title: "IV smile", help: "chain-smile", metrics: [entry.table],
    build(body) {
      const pts = entry.table.smile;
      if (pts.length < 2) {
        body.append(h("p", { class: "muted", text: "Fewer than two strikes have a usable implied vol in this expiry." }));
        return;
      }
      lineChart(body, { series: [{ name: "IV", cls: "accent", data: pts.map((p) => ({ x: p.strike, y: p.iv_pct })) }], height: 150, xFormat: (v) => num(v, 0), yFormat: (v) => `${num(v, 1)}%`, points: true, label: "Implied volatility by strike" });
      body.append(h("p", { class: "small muted", text: `Out-of-the-money leg at each strike (puts below the forward, calls above); ATM IV ${entry.table.atm_iv_pct === null ? "unavailable" : num(entry.table.atm_iv_pct, 2) + "%"}.` }));
    },
  });
}

const crore = (x) => `₹${num(x / 1e7, 2)} cr`;

/** The all-expiries line of the GEX tile: the summed total, how many expiries and which were left out and why. */
function gexTotalLine(total) {
  if (!available(total)) {
    return h("p", { class: "small gex-total muted", id: "gex-total-line", text: `All expiries: unavailable — ${total.provenance.reason}` });
  }
  const n = total.included.length;
  // Expiries left out for the same reason are listed together, nearest first.
  const byReason = new Map();
  for (const l of total.left_out) byReason.set(l.reason, [...(byReason.get(l.reason) || []), day(l.expiry)]);
  const out = byReason.size
    ? `left out: ${[...byReason].map(([reason, days]) => `${days.join(" · ")} (${reason})`).join("; ")}`
    : "none left out";
  return h("p", { class: "small gex-total", id: "gex-total-line", text: `All expiries: ${crore(total.total)} (${n} ${n === 1 ? "expiry" : "expiries"}; ${out})` });
}

function gexTile(tk, index) {
  const entry = (tk.gex || [])[index];
  const total = tk.gex_total;
  const el = tile({
    id: "chain-gex", title: entry ? `Gamma exposure (GEX) · ${day(entry.expiry)}` : "Gamma exposure (GEX)", help: "chain-gex", metrics: entry ? [entry.gex, total] : [total], cls: "wide",
    build(body) {
      if (!entry) return;
      const g = entry.gex;
      body.append(headline(crore(g.total), g.total >= 0 ? "up" : "down", `net per 1% move · expiry ${day(g.expiry)}`));
      barChart(body, { labels: g.strikes.map((s) => num(s.strike, 0)), series: [{ name: "Net GEX", cls: "accent", data: g.strikes.map((s) => s.net_gex / 1e7) }], height: 140, low: undefined, yFormat: (v) => num(v, 1), label: "Net gamma exposure by strike, ₹ crore per 1% move" });
      body.append(kv([["Calls (+)", crore(g.total_call)], ["Puts (−)", crore(g.total_put)], ["Strikes left out (no IV)", `${g.strikes_without_iv} (${num(g.oi_without_iv, 0)} contracts)`]]));
      body.append(h("p", { class: "small gex-convention", text: `Sign convention: ${g.convention}. Units: ${g.units}.` }));
    },
  });
  if (entry) el.dataset.expiry = entry.expiry;
  // The total across expiries is shown whether or not the chosen expiry has a GEX.
  const body = el.querySelector(".tile-body");
  body.append(gexTotalLine(total));
  if (available(total)) {
    body.append(h("p", { class: "small muted", text: `Total: ${total.method}; calls ${crore(total.total_call)}, puts ${crore(total.total_put)}. Same convention; units: ${total.units}.` }));
  }
  return el;
}

function volHistoryTile(tk) {
  const vh = tk.vol_history;
  return tile({
    id: "vol-history", title: "Volatility history", help: "vol-history", metrics: [vh], cls: "wide",
    build(body) {
      const pts = vh.points;
      const t = (d) => new Date(`${d}T10:00:00Z`).getTime();
      const iv = pts.filter((p) => p.atm_iv_pct !== null && p.atm_iv_pct !== undefined).map((p) => ({ x: t(p.date), y: p.atm_iv_pct }));
      const vix = pts.filter((p) => p.vix_pct !== null && p.vix_pct !== undefined).map((p) => ({ x: t(p.date), y: p.vix_pct }));
      const series = [];
      if (iv.length) series.push({ name: "ATM IV", cls: "accent", data: iv });
      if (vix.length) series.push({ name: "India VIX", cls: "neutral", data: vix });
      if (series.length && (iv.length + vix.length) > 1) {
        lineChart(body, { series, height: 140, xFormat: (x) => new Date(x).toISOString().slice(2, 7), yFormat: (v) => `${num(v, 0)}%`, points: iv.length < 3, label: "ATM implied vol and India VIX over the last year" });
        body.append(legend(series.map((s) => ({ name: s.name, cls: s.cls }))));
      }
      const rankRow = (name, m) => (available(m)
        ? [name, `now ${num(m.current_pct, 2)}% · rank ${pctText(m.rank, 0)} · percentile ${pctText(m.percentile, 0)} (n = ${m.n}, range ${num(m.low_pct, 1)}–${num(m.high_pct, 1)}%)`]
        : [name, `unavailable: ${m.provenance.reason}`, "muted"]);
      body.append(kv([
        rankRow("ATM IV (1 year)", vh.atm_iv_rank),
        rankRow("India VIX (1 year)", vh.vix_rank),
        available(vh.realized_vol) ? ["Realized vol (20d)", `${num(vh.realized_vol.pct, 2)}%`] : ["Realized vol (20d)", `unavailable: ${vh.realized_vol.provenance.reason}`, "muted"],
        available(vh.forecast) ? ["Forecast vol (to expiry)", `${num(vh.forecast.pct, 2)}%`] : ["Forecast vol", `unavailable: ${vh.forecast.provenance.reason}`, "muted"],
        ["Stored chain days", String(vh.chain_days)],
      ]));
    },
  });
}

function intradayTile(tk, index) {
  const entry = (tk.intraday || [])[index];
  const el = tile({
    id: "chain-intraday", title: entry ? `Intraday chain · ${day(entry.expiry)}` : "Intraday chain", help: "chain-intraday", metrics: [entry ? entry.series : tk.chain], cls: "wide",
    build(body) {
      if (!entry) return;
      const s = entry.series;
      const t = (p) => new Date(p.t).getTime();
      const fmt = (x) => istTime(new Date(x).toISOString()).slice(-5);
      const one = (name, cls, key, yFormat) => {
        const data = s.points.filter((p) => p[key] !== null && p[key] !== undefined).map((p) => ({ x: t(p), y: p[key] }));
        body.append(h("p", { class: "small chart-title", text: name }));
        if (data.length < 2) body.append(h("p", { class: "small muted", text: "fewer than two snapshots have this figure" }));
        else lineChart(body, { series: [{ name, cls, data }], height: 90, xFormat: fmt, yFormat, points: true, label: `${name} during the session` });
      };
      body.append(h("p", { class: "small muted", text: `${day(s.session_date)} · expiry ${day(s.expiry)} · ${s.points.length} snapshots` }));
      one("PCR (OI)", "accent", "pcr_oi", (v) => num(v, 2));
      one("ATM straddle (points)", "neutral", "straddle", (v) => num(v, 0));
      one("ATM IV (%)", "accent", "atm_iv_pct", (v) => num(v, 1));
      one("Max pain", "neutral", "max_pain", (v) => num(v, 0));
      const calls = s.points.map((p) => ({ x: t(p), y: p.call_oi }));
      const puts = s.points.map((p) => ({ x: t(p), y: p.put_oi }));
      body.append(h("p", { class: "small chart-title", text: "Total call / put OI" }));
      lineChart(body, { series: [{ name: "Call OI", cls: "down", data: calls }, { name: "Put OI", cls: "up", data: puts }], height: 100, xFormat: fmt, yFormat: (v) => num(v / 1e5, 1) + "L", points: true, label: "Total call and put open interest during the session" });
    },
  });
  if (entry) el.dataset.expiry = entry.expiry;
  return el;
}

/** Renders the Chain tab. */
export function render(toolkit, grid, index = 0) {
  if (!available(toolkit.chain)) {
    grid.append(tile({ id: "chain-missing", title: "Option chain", help: "chain-explorer", metrics: [toolkit.chain], build() {} }));
  } else {
    const entry = toolkit.explorer[index];
    if (entry) {
      grid.append(explorerTile(entry));
      if (available(entry.table)) {
        grid.append(oiTile(entry), smileTile(entry));
      }
    }
  }
  grid.append(gexTile(toolkit, index), volHistoryTile(toolkit), intradayTile(toolkit, index));
}

/** Shown when toolkit.json could not be loaded. */
export function missing(grid, error) {
  grid.append(h("article", { class: "tile status-unavailable", dataset: { tile: "toolkit-missing" } },
    h("header", { class: "tile-head" }, h("h3", { class: "tile-title", text: "Toolkit data" })),
    unavailableNote({ provenance: { status: "unavailable", reason: error ? error.message : "toolkit.json is missing", fix: error && error.fix ? error.fix : "aegis run" } })));
}

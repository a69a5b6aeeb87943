// Direction view: where NIFTY is likely to go today, tomorrow, this week, this month, and by
// how much. Twelve tiles, in the order of PRODUCT.md §6.

import { h } from "../dom.js";
import { num, pts, signed, pct, signedPct, label, dirClass, dirArrow, istTime } from "../format.js";
import { tile, helpTile, kv, headline, unavailableNote } from "../tile.js";
import { halfGauge, riskZones, segmentBand, triBar, arrowRuler } from "../svg.js";
import { lineChart, barChart, legend } from "../charts.js";

/** Expected horizons, in payload order. */
export const HORIZONS = [
  { days: 1, key: "t1", title: "Tomorrow (T+1)" },
  { days: 3, key: "t3", title: "Next 3 days (T+3)" },
  { days: 5, key: "t5", title: "This week (T+5)" },
  { days: 10, key: "t10", title: "Next week (T+10)" },
  { days: 20, key: "t20", title: "This month (T+20)" },
  { days: 40, key: "t40", title: "Next month (T+40)" },
];

/** The spot tile (shared with the sellers' and buyers' views through `id`). */
export function spotTile(payload, id, title, extra = null) {
  const spot = payload.market.spot;
  return tile({
    id, title, help: "spot", metrics: [spot],
    build(body) {
      const cls = spot.change_pts > 0 ? "up" : spot.change_pts < 0 ? "down" : "neutral";
      body.append(headline(pts(spot.value), "", `${signed(spot.change_pts)} (${signedPct(spot.change_pct)})`));
      body.lastChild.lastChild.classList.add(cls);
      if (spot.intraday && spot.intraday.length > 1) {
        const data = spot.intraday.map((p) => ({ x: Date.parse(p.t), y: p.v }));
        lineChart(body, {
          series: [{ name: "spot", cls: cls === "down" ? "down" : "up", data }],
          height: 70, showX: false, showY: false,
          label: `Today's 5-minute closes from ${num(data[0].y, 0)} to ${num(data[data.length - 1].y, 0)}`,
        });
      } else {
        body.append(h("p", { class: "muted small", text: "No intraday bars for today yet (outside the session)." }));
      }
      body.append(kv([["Previous close", pts(spot.prev_close)], ["Observed", `${istTime(spot.at)} · ${spot.source === "intraday_bar" ? "5-min bar" : "daily close"}`]]));
      if (extra) extra(body);
    },
  });
}

/** The India VIX tile (shared; `extra` adds view-specific lines). */
export function vixTile(payload, id, title, help, extra = null, more = []) {
  const vix = payload.market.vix;
  return tile({
    id, title, help, metrics: [vix, ...more],
    build(body) {
      const cls = vix.change > 0 ? "down" : vix.change < 0 ? "up" : "neutral";
      body.append(headline(num(vix.value, 2), "", `${signed(vix.change)} (${signedPct(vix.change_pct)})`));
      body.lastChild.lastChild.classList.add(cls);
      body.append(segmentBand({
        segments: [
          { text: "Low", cls: "up", active: vix.band === "LOW" },
          { text: "Normal", cls: "neutral", active: vix.band === "NORMAL" },
          { text: "High", cls: "down", active: vix.band === "HIGH" },
        ],
        at: vix.percentile_1y,
        markerText: `${pct(vix.percentile_1y)} of last year`,
        label: `India VIX ${num(vix.value, 2)} is ${label(vix.band)}: at or above ${pct(vix.percentile_1y)} of the last 252 sessions`,
      }));
      if (vix.provenance.status === "stale") body.append(unavailableNote(vix, "VIX"));
      if (extra) extra(body);
    },
  });
}

function horizonTile(payload, i, visual) {
  const spec = HORIZONS[i];
  const m = payload.direction.horizons[i];
  return tile({
    id: `dir-${spec.key}`, title: spec.title, help: `horizon-${spec.key}`, metrics: [m],
    build(body) {
      if (m.days !== spec.days) throw new Error(`horizon ${i} is ${m.days} days, expected ${spec.days}`);
      const cls = dirClass(m.direction);
      body.append(headline(`${dirArrow(m.direction)} ${m.direction}`, cls, `conviction ${pct(m.conviction)}`));
      body.append(triBar({ ...m.probs, label: `Probabilities: up ${pct(m.probs.up)}, neutral ${pct(m.probs.neutral)}, down ${pct(m.probs.down)}` }));
      if (visual) visual(body, m);
      body.append(kv([
        ["Expected move", `${signed(m.expected_move_pts)} pts`, m.expected_move_pts >= 0 ? "up" : "down"],
        ["68% range", `${num(m.range68_low, 0)} – ${num(m.range68_high, 0)}`],
        ["Base rates U/N/D", `${pct(m.base_rates.up)} / ${pct(m.base_rates.neutral)} / ${pct(m.base_rates.down)}`],
      ]));
      body.append(h("p", { class: `skill ${m.skill.has_skill ? "has-skill" : "no-skill"}`, text: m.skill.verdict }));
    },
  });
}

/** Renders the Direction tab into `grid`. */
export function render(payload, grid) {
  const d = payload.direction;
  const today = d.today;
  grid.append(tile({
    id: "dir-today", title: "Today direction", help: "today", metrics: [today],
    build(body) {
      const cls = dirClass(today.direction);
      body.append(halfGauge({
        value: today.gauge, min: -1, max: 1,
        zones: [{ to: -1 / 3, cls: "down" }, { to: 1 / 3, cls: "neutral" }, { to: 1, cls: "up" }],
        ends: ["DOWN", "UP"], needleCls: cls,
        label: `Gauge at ${signed(today.gauge)} on a scale from −1 (strongly down) to +1 (strongly up)`,
      }));
      body.append(headline(`${dirArrow(today.direction)} ${today.direction}`, cls, `conviction ${pct(today.conviction)}`));
      const orText = today.opening_range === "NOT_FORMED" ? "not formed yet" : `${label(today.opening_range)} (${num(today.or_low, 0)}–${num(today.or_high, 0)})`;
      body.append(kv([
        ["Gap at open", today.gap_pct === null || today.gap_pct === undefined ? "—" : signedPct(today.gap_pct)],
        ["Opening range", orText],
        ["Intraday vol vs usual", today.rv_ratio === null || today.rv_ratio === undefined ? "—" : `${num(today.rv_ratio, 2)}×`],
      ]));
    },
  }));
  grid.append(spotTile(payload, "dir-spot", "Spot price"));
  grid.append(vixTile(payload, "dir-vix", "India VIX", "vix"));
  grid.append(horizonTile(payload, 0));
  grid.append(horizonTile(payload, 1));
  grid.append(horizonTile(payload, 2, (body, m) => {
    barChart(body, {
      labels: ["Down", "Neutral", "Up"],
      series: [
        { name: "model", cls: "accent", data: [m.probs.down, m.probs.neutral, m.probs.up] },
        { name: "base rate", cls: "neutral", data: [m.base_rates.down, m.base_rates.neutral, m.base_rates.up] },
      ],
      height: 110, high: Math.max(0.6, m.probs.up, m.probs.down), yFormat: (v) => pct(v), seriesBarDistance: 10,
      label: "Model probabilities beside the base rates for the week",
    });
    body.append(legend([{ name: "model", cls: "accent" }, { name: "base rate", cls: "neutral" }]));
  }));
  grid.append(horizonTile(payload, 3));
  grid.append(horizonTile(payload, 4, (body, m) => {
    const spot = payload.market.spot.value ?? (m.range68_low + m.range68_high) / 2;
    body.append(arrowRuler({
      low: m.range68_low, high: m.range68_high, spot, move: m.expected_move_pts, cls: dirClass(m.direction),
      label: `68% range ${num(m.range68_low, 0)} to ${num(m.range68_high, 0)}, expected move ${signed(m.expected_move_pts)} points from spot`,
    }));
  }));
  grid.append(horizonTile(payload, 5));
  grid.append(tile({
    id: "dir-risk", title: "Direction risk score", help: "risk", metrics: [d.risk],
    build(body) {
      const r = d.risk;
      body.append(halfGauge({
        value: r.score, min: 0, max: 1, zones: riskZones(1), ends: ["0 calm", "1 uncertain"],
        label: `Risk score ${num(r.score, 2)} on a scale from 0 (calm) to 1 (very uncertain)`,
      }));
      body.append(headline(num(r.score, 2), r.score > 2 / 3 ? "down" : r.score < 1 / 3 ? "up" : "neutral", r.score > 2 / 3 ? "high uncertainty" : r.score < 1 / 3 ? "low uncertainty" : "moderate uncertainty"));
      body.append(kv([["Vol-forecast percentile", pct(r.vol_percentile)], ["Direction entropy", num(r.entropy, 2)]]));
    },
  }));
  const regime = payload.market.regime;
  grid.append(tile({
    id: "dir-regime", title: "Market regime", help: "regime", metrics: [regime],
    build(body) {
      const cls = { LOW_VOL_BULL: "up", HIGH_VOL_BEAR: "down", SIDEWAYS_CHOP: "neutral", TREND_FOLLOWING: "accent" }[regime.label] || "neutral";
      body.append(h("p", { class: "pill-row" }, h("span", { class: `pill ${cls}`, text: label(regime.label) })));
      body.append(h("ul", { class: "state-list" }, regime.states.map((st) => h("li", {},
        h("span", { text: label(st.label) }),
        h("span", { class: "meter" }, meterBar(st.probability)),
        h("span", { class: "num", text: pct(st.probability) })))));
    },
  }));
  grid.append(helpTile("direction"));
}

/** A thin horizontal meter (width set through the CSSOM, which the CSP allows). */
export function meterBar(fraction) {
  const fill = h("span", { class: "meter-fill" });
  fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
  return fill;
}


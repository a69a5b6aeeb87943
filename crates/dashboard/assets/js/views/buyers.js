// Option Buyers view: when buying premium is justified, in which direction, and at what time
// of day moves tend to happen.

import { h } from "../dom.js";
import { num, signed, pct, pctv, label, day } from "../format.js";
import { tile, helpTile, kv, headline, reasons, available, unavailableNote } from "../tile.js";
import { halfGauge, splitBar, scaleBar, heatStrip, ladder } from "../svg.js";
import { lineChart, barChart, legend } from "../charts.js";
import { spotTile, vixTile } from "./direction.js";

const LEVEL_CLS = { LOW: "neutral", MEDIUM: "accent", HIGH: "up" };

/** Renders the Option Buyers tab into `grid`. */
export function render(payload, grid) {
  const b = payload.buyer;
  const bo = b.breakout_today;
  grid.append(tile({
    id: "buy-breakout", title: "Breakout potential today", help: "breakout-today", metrics: [bo],
    build(body) {
      body.append(halfGauge({
        value: bo.probability * 100, min: 0, max: 100,
        zones: [{ to: 33.3, cls: "neutral" }, { to: 66.6, cls: "accent" }, { to: 100, cls: "up" }],
        marker: bo.base_rate * 100, ends: ["0", "100"],
        label: `Breakout potential ${num(bo.probability * 100, 0)} of 100 against a base rate of ${num(bo.base_rate * 100, 0)}`,
      }));
      body.append(headline(`${num(bo.probability * 100, 0)} / 100`, LEVEL_CLS[bo.label], `${label(bo.label)} · base rate ${pct(bo.base_rate)}`));
      body.append(h("p", { class: `skill ${bo.skill.has_skill ? "has-skill" : "no-skill"}`, text: bo.skill.verdict }));
    },
  }));
  const sb = b.spike_bias;
  grid.append(tile({
    id: "buy-bias", title: "Spike direction bias", help: "spike-bias", metrics: [sb],
    build(body) {
      body.append(headline(sb.up >= sb.down ? `UP ${pct(sb.up)}` : `DOWN ${pct(sb.down)}`, sb.up >= sb.down ? "up" : "down", "if a breakout happens"));
      body.append(splitBar({
        left: sb.down, right: sb.up, leftText: `DOWN ${pct(sb.down)}`, rightText: `UP ${pct(sb.up)}`, baseRight: sb.base_rate_up,
        label: `Given a breakout: ${pct(sb.down)} close down, ${pct(sb.up)} close up; base rate of up-closes ${pct(sb.base_rate_up)}`,
      }));
      body.append(h("p", { class: `skill ${sb.skill.has_skill ? "has-skill" : "no-skill"}`, text: sb.skill.verdict }));
    },
  }));
  const te = b.theta_edge;
  grid.append(tile({
    id: "buy-theta", title: "Theta vs edge", help: "theta-edge", metrics: [te],
    build(body) {
      const cls = { DONT_WASTE_PREMIUM: "down", BORDERLINE: "neutral", EDGE_JUSTIFIES_PREMIUM: "up" }[te.label];
      const name = { DONT_WASTE_PREMIUM: "Don't waste premium", BORDERLINE: "Borderline", EDGE_JUSTIFIES_PREMIUM: "Edge justifies premium" }[te.label] || label(te.label);
      body.append(headline(name, cls, `P(straddle pays) ${pct(te.probability)} vs base ${pct(te.base_rate)}`));
      body.append(scaleBar({
        at: te.gauge, leftText: "don't waste premium", rightText: "edge justifies premium",
        zones: [{ to: 1 / 3, cls: "down" }, { to: 2 / 3, cls: "neutral" }, { to: 1, cls: "up" }],
        label: `Theta versus edge at ${num(te.gauge, 2)} from "don't waste premium" (0) to "edge justifies premium" (1)`,
      }));
      body.append(kv([
        ["ATM straddle cost", `${num(te.straddle_cost_pts, 1)} pts · ${te.horizon_days}-day horizon`],
        ["Implied / forecast vol", `${pctv(te.iv_pct)} / ${pctv(te.forecast_vol_pct)}`],
      ]));
    },
  }));
  const next = b.breakout_next;
  grid.append(tile({
    id: "buy-next5", title: "Next 5-day breakout map", help: "breakout-next", metrics: next,
    build(body) {
      const labels = next.map((m, i) => (available(m) ? `D+${m.day_ahead}` : `D+${i + 1}`));
      barChart(body, {
        labels,
        series: [
          { name: "probability", cls: "accent", data: next.map((m) => (available(m) ? m.probability : null)) },
          { name: "base rate", cls: "neutral", data: next.map((m) => (available(m) ? m.base_rate : null)) },
        ],
        height: 120, low: 0, high: Math.max(0.5, ...next.filter(available).map((m) => m.probability)), yFormat: (v) => pct(v), seriesBarDistance: 8,
        label: `Breakout probabilities ${next.map((m, i) => `D+${i + 1} ${available(m) ? pct(m.probability) : "unavailable"}`).join(", ")}`,
      });
      body.append(legend([{ name: "probability", cls: "accent" }, { name: "base rate", cls: "neutral" }]));
      body.append(h("ul", { class: "day-list" }, next.map((m, i) => available(m)
        ? h("li", {}, h("span", { text: `D+${m.day_ahead} ${day(m.date)}` }), h("span", { class: LEVEL_CLS[m.label], text: `${pct(m.probability)} ${label(m.label)}` }))
        : h("li", {}, h("span", { text: `D+${i + 1}` }), unavailableNote(m)))));
    },
  }));
  const gw = b.gamma_windows;
  grid.append(tile({
    id: "buy-gamma", title: "Gamma burst windows", help: "gamma-windows", metrics: [gw],
    cls: "wide",
    build(body) {
      const peak = gw.blocks[gw.peak_block];
      body.append(headline(`${peak.start}–${peak.end}`, "accent", `busiest block over ${gw.sessions} sessions`));
      body.append(heatStrip({ blocks: gw.blocks, peak: gw.peak_block, label: `Activity by 30-minute block from 09:15 to 15:30; busiest ${peak.start}–${peak.end}` }));
      body.append(legend([{ name: "profile (20 sessions)", cls: "accent" }, { name: "today so far", cls: "neutral" }]));
    },
  }));
  const rg = b.regime;
  grid.append(tile({
    id: "buy-regime", title: "Buyer regime", help: "buyer-regime", metrics: [rg],
    build(body) {
      const cls = { TREND_FOLLOWING: "up", MEAN_REVERT: "accent", CHOPPY: "neutral" }[rg.label];
      body.append(h("p", { class: "pill-row" }, h("span", { class: `pill ${cls}`, text: label(rg.label) })));
      body.append(kv([["Variance ratio (5d)", num(rg.variance_ratio, 2)], ["Autocorrelation (lag 1)", signed(rg.autocorr, 2)], ["ADX(14)", num(rg.adx, 1)]]));
    },
  }));
  const sh = b.spike_hit_rate;
  grid.append(tile({
    id: "buy-spikehit", title: "Historical spike hit rate", help: "spike-hit", metrics: [sh],
    build(body) {
      body.append(headline(pct(sh.hit_rate), sh.hit_rate > sh.base_rate ? "up" : "down", `of ${num(sh.n_high, 0)} HIGH days broke out · base ${pct(sh.base_rate)}`));
      if (sh.predicted.length > 1) {
        lineChart(body, {
          series: [
            { name: "predicted", cls: "accent", data: sh.predicted.map((p) => ({ x: Date.parse(p.date), y: p.v })) },
            { name: "realized", cls: "up", data: sh.realized.map((p) => ({ x: Date.parse(p.date), y: p.v })) },
          ],
          height: 100, xTicks: 3, yFormat: (v) => pct(v), xFormat: (v) => new Date(v).toISOString().slice(0, 7),
          label: "Rolling predicted breakout probability beside the realized frequency",
        });
        body.append(legend([{ name: "predicted", cls: "accent" }, { name: "realized", cls: "up" }]));
      }
      body.append(kv([["95% CI", `${pct(sh.ci_low)} – ${pct(sh.ci_high)}`], ["HIGH means", `p ≥ ${pct(sh.high_threshold)}`]]));
    },
  }));
  const lv = b.levels;
  grid.append(tile({
    id: "buy-levels", title: "Breakout levels", help: "levels", metrics: [lv],
    build(body) {
      body.append(ladder({
        spot: lv.spot,
        levels: [
          { name: "call wall", value: lv.call_wall, cls: "down" },
          { name: "10-day high", value: lv.high_10d, cls: "up" },
          { name: "OR high", value: lv.or_high, cls: "accent" },
          { name: "OR low", value: lv.or_low, cls: "accent" },
          { name: "10-day low", value: lv.low_10d, cls: "down" },
          { name: "put wall", value: lv.put_wall, cls: "up" },
        ],
        label: `Levels: 10-day high ${num(lv.high_10d)}, 10-day low ${num(lv.low_10d)}, spot ${num(lv.spot)}`,
      }));
      body.append(kv([["To 10-day high / low", `${signed(lv.high_10d - lv.spot, 0)} / ${signed(lv.low_10d - lv.spot, 0)} pts`]]));
    },
  }));
  const env = b.environment;
  grid.append(tile({
    id: "buy-env", title: "Buyer environment", help: "buyer-env", metrics: [env],
    build(body) {
      const cls = { PREMIUM_FRIENDLY: "up", SPECULATIVE_ONLY: "neutral", UNFAVOURABLE: "down" }[env.label];
      body.append(h("p", { class: "pill-row" }, h("span", { class: `pill ${cls}`, text: label(env.label) })));
      body.append(reasons(env.reasons));
    },
  }));
  grid.append(spotTile(payload, "buy-spot", "Spot (for buyers)"));
  const gap = b.gap_risk;
  grid.append(vixTile(payload, "buy-vix", "VIX / gap-shock risk", "buyer-vix", (body) => {
    if (!available(gap)) {
      body.append(unavailableNote(gap, "Gap risk"));
      return;
    }
    const cls = { LOW: "up", MEDIUM: "neutral", HIGH: "down" }[gap.label];
    body.append(kv([["Overnight gap > 1%", `${pct(gap.probability)} (${label(gap.label)}) · base ${pct(gap.base_rate)}`, cls]]));
    body.append(h("p", { class: `skill ${gap.skill.has_skill ? "has-skill" : "no-skill"}`, text: gap.skill.verdict }));
  }, [gap]));
  grid.append(helpTile("buyers"));
}



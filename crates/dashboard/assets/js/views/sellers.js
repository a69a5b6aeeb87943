// Option Sellers view: where it has been statistically safe to sell, and when selling premium
// is a trap. The expiry selector switches the per-expiry tiles (seller.expiries[]).

import { h } from "../dom.js";
import { num, signed, pct, pctv, label, day } from "../format.js";
import { tile, helpTile, kv, headline, reasons, available, unavailableNote } from "../tile.js";
import { halfGauge, riskZones, priceBand, shield } from "../svg.js";
import { lineChart, barChart, legend } from "../charts.js";
import { spotTile, vixTile } from "./direction.js";

const LEVEL_CLS = { LOW: "up", MEDIUM: "neutral", HIGH: "down", CALM: "up", CAUTION: "neutral", HOSTILE: "down", CAUTIOUS: "neutral", FAVOURABLE: "up" };

/** The expiry selector; calls `onChange(index)`. */
export function expirySelector(payload, selected, onChange) {
  const sel = h("select", { id: "expiry-select", "aria-label": "Expiry" },
    payload.seller.expiries.map((e, i) => h("option", { value: String(i), selected: i === selected, text: `${day(e.expiry)} · ${e.kind} · ${e.trading_days} trading day${e.trading_days === 1 ? "" : "s"}` })));
  sel.addEventListener("change", () => onChange(Number(sel.value)));
  return h("div", { class: "toolbar" }, h("label", { for: "expiry-select", text: "Expiry" }), sel);
}

/** Renders the sellers' tiles for expiry `index` into `grid`. */
export function render(payload, grid, index = 0) {
  const sel = payload.seller;
  const e = sel.expiries[index];
  if (!e) {
    grid.append(h("p", { class: "unavailable-note unavailable", text: "The payload lists no expiries for the sellers' view; run `aegis run` with an option chain or calendar available." }));
    return;
  }
  const sr = e.safe_range;
  grid.append(tile({
    id: "sel-range", title: "Safe short range", help: "safe-range", metrics: [sr],
    build(body) {
      const width = sr.upper - sr.lower;
      body.append(headline(`${num(sr.lower, 0)} – ${num(sr.upper, 0)}`, "up", `${pct(sr.confidence)} confidence · ${sr.horizon_days} trading day${sr.horizon_days === 1 ? "" : "s"}`));
      body.append(priceBand({
        lo: sr.lower, hi: sr.upper, spot: sr.spot, min: sr.lower - width * 0.25, max: sr.upper + width * 0.25,
        loText: `${num(sr.lower, 0)} PE`, hiText: `${num(sr.upper, 0)} CE`,
        label: `Safe range from ${num(sr.lower, 0)} to ${num(sr.upper, 0)} around spot ${num(sr.spot, 0)}`,
      }));
      body.append(kv([
        ["Touch prob. lower / upper", `${pct(sr.lower_touch_prob, 1)} / ${pct(sr.upper_touch_prob, 1)}`],
        ["σ used", `${pctv(sr.sigma_vol_pct, 1)} (${sr.sigma_source.replace(/_/g, " ")})`],
        ["Distance from spot", `${signed(sr.lower - sr.spot, 0)} / ${signed(sr.upper - sr.spot, 0)} pts`],
      ]));
    },
  }));
  const mp = e.max_pain;
  grid.append(tile({
    id: "sel-maxpain", title: "Max pain zone", help: "max-pain", metrics: [mp],
    build(body) {
      body.append(headline(num(mp.max_pain, 0), "", `zone ${num(mp.zone_low, 0)} – ${num(mp.zone_high, 0)}`));
      const curve = mp.curve.map((p) => ({ x: p.strike, y: p.pain }));
      // The zone as a shaded band: a flat series at the top of the chart, filled down to its base.
      const top = Math.max(...mp.curve.map((p) => p.pain));
      const zone = mp.curve.map((p) => ({ x: p.strike, y: p.strike >= mp.zone_low && p.strike <= mp.zone_high ? top : null }));
      lineChart(body, {
        series: [{ name: "pain", cls: "neutral", data: curve }, { name: "zone", cls: "zone", data: zone, area: true }],
        height: 110, showY: false, low: 0, high: top, xFormat: (v) => num(v, 0), xTicks: 4,
        label: `Writers' pay-out across settlement strikes; minimum at ${num(mp.max_pain, 0)}`,
      });
      body.append(kv([
        mp.expiry && mp.expiry !== e.expiry ? ["Chain expiry", `${day(mp.expiry)} (the stale chain does not list ${day(e.expiry)})`, "down"] : null,
        ["PCR (OI / volume)", `${num(mp.pcr_oi, 2)} / ${mp.pcr_volume === null || mp.pcr_volume === undefined ? "—" : num(mp.pcr_volume, 2)}`],
        ["Call wall / put wall", `${num(mp.call_wall, 0)} / ${num(mp.put_wall, 0)}`],
        ["Spot − max pain", `${signed(mp.spot_minus_max_pain, 0)} pts`],
        ["ΔOI calls / puts", `${signed(mp.call_oi_change / 1e5, 1)} L / ${signed(mp.put_oi_change / 1e5, 1)} L`],
      ]));
    },
  }));
  const nearest = sel.expiries[0];
  const st = e.stress;
  if (!st) grid.append(nearestOnlyTile("sel-stress", "Expiry stress meter", "stress", "Expiry stress", nearest));
  else grid.append(tile({
    id: "sel-stress", title: "Expiry stress meter", help: "stress", metrics: [st],
    build(body) {
      body.append(halfGauge({
        value: st.probability * 100, min: 0, max: 100, zones: riskZones(100), marker: st.base_rate * 100,
        ends: ["0", "100"], label: `Expiry stress ${num(st.probability * 100, 0)} of 100; base rate ${num(st.base_rate * 100, 0)}`,
      }));
      body.append(headline(`${num(st.probability * 100, 0)} / 100`, LEVEL_CLS[st.label], label(st.label)));
      body.append(kv([
        ["Implied move", `±${num(st.implied_move_pts, 0)} pts (${st.implied_move_source.replace(/_/g, " ")})`],
        ["Days to expiry", String(st.days_to_expiry)],
        ["ATM gamma", st.atm_gamma === null || st.atm_gamma === undefined ? "— (needs a chain)" : num(st.atm_gamma, 6)],
        ["Distance to max pain", st.distance_to_max_pain === null || st.distance_to_max_pain === undefined ? "— (needs a chain)" : `${signed(st.distance_to_max_pain, 0)} pts`],
        ["Base rate", pct(st.base_rate)],
      ]));
    },
  }));
  const tr = e.trap;
  if (!tr) grid.append(nearestOnlyTile("sel-trap", "Volatility trap risk", "trap", "Volatility-trap risk", nearest));
  else grid.append(tile({
    id: "sel-trap", title: "Volatility trap risk", help: "trap", metrics: [tr],
    build(body) {
      const seg = { LOW: 1 / 6, MEDIUM: 1 / 2, HIGH: 5 / 6 }[tr.label];
      body.append(halfGauge({
        value: seg, min: 0, max: 1, zones: riskZones(1), ends: ["LOW", "HIGH"], needleCls: LEVEL_CLS[tr.label],
        label: `Volatility trap risk ${label(tr.label)}: probability ${pct(tr.probability)} against a base rate of ${pct(tr.base_rate)}`,
      }));
      body.append(headline(label(tr.label), LEVEL_CLS[tr.label], `P(RV > IV) ${pct(tr.probability)} vs base ${pct(tr.base_rate)}`));
      body.append(kv([
        ["Implied vol", `${pctv(tr.iv_pct, 2)} (${tr.iv_source.replace(/_/g, " ")}) · pctile ${pct(tr.iv_percentile)}`],
        ["Realized vol (20d)", `${pctv(tr.rv_pct, 2)} · pctile ${pct(tr.rv_percentile)}`],
        ["IV − RV", `${signed(tr.spread, 2)} pts`, tr.spread > 0 ? "up" : "down"],
        ["Forecast vol", pctv(tr.forecast_vol_pct, 2)],
      ]));
    },
  }));
  const sk = e.skew;
  const rs = sel.realized_skew;
  grid.append(tile({
    id: "sel-skew", title: "Skew pressure", help: "skew", metrics: [sk, rs],
    build(body) {
      body.append(headline(sk.rr25 === null || sk.rr25 === undefined ? "RR25 —" : `RR25 ${signed(sk.rr25, 2)}`, sk.rr25 < 0 ? "down" : "up", sk.rr25 < 0 ? "puts richer than calls" : "calls richer than puts"));
      barChart(body, {
        labels: ["25Δ put", "ATM", "25Δ call"],
        series: [{ name: "implied vol", cls: "accent", data: [sk.put25_iv_pct ?? null, sk.atm_iv_pct, sk.call25_iv_pct ?? null] }],
        height: 110, low: 0, yFormat: (v) => `${num(v, 0)}%`,
        label: `Implied vols: 25-delta put ${pctv(sk.put25_iv_pct)}, ATM ${pctv(sk.atm_iv_pct)}, 25-delta call ${pctv(sk.call25_iv_pct)}`,
      });
      body.append(kv([
        sk.expiry && sk.expiry !== e.expiry ? ["Chain expiry", `${day(sk.expiry)} (the stale chain does not list ${day(e.expiry)})`, "down"] : null,
        ["Put skew / call skew", `${signed(sk.put_skew, 2)} / ${signed(sk.call_skew, 2)} vol pts`],
        ["Butterfly (BF25)", `${signed(sk.bf25, 2)} vol pts`],
      ]));
      body.append(realizedSkewLine(rs));
    },
  }));
  const regime = sel.regime;
  grid.append(tile({
    id: "sel-regime", title: "Seller regime", help: "seller-regime", metrics: [regime],
    build(body) {
      body.append(h("p", { class: "pill-row" }, h("span", { class: `pill ${LEVEL_CLS[regime.label]}`, text: label(regime.label) })));
      body.append(reasons(regime.reasons));
    },
  }));
  const bc = e.breach_curve;
  grid.append(tile({
    id: "sel-breach", title: "Range breach curve", help: "breach", metrics: [bc],
    build(body) {
      const model = bc.points.map((p) => ({ x: p.distance_pct, y: p.model_prob }));
      const hist = bc.points.map((p) => ({ x: p.distance_pct, y: p.historical_freq }));
      lineChart(body, {
        series: [{ name: "model", cls: "accent", data: model }, { name: "history", cls: "neutral", data: hist }],
        height: 120, low: 0, points: true, xTicksAt: bc.points.map((p) => p.distance_pct).filter((d) => d >= 1 || d === bc.points[0].distance_pct), xFormat: (v) => `${num(v, v % 1 ? 1 : 0)}%`, yFormat: (v) => pct(v),
        label: "Touch probability before expiry by distance from spot: model beside history",
      });
      body.append(legend([{ name: "model", cls: "accent" }, { name: "history (walk-forward)", cls: "neutral" }]));
      const one = bc.points.find((p) => p.distance_pct === 1) || bc.points[0];
      body.append(kv([[`At ${num(one.distance_pct, 1)}% (${num(one.distance_pts, 0)} pts)`, `model ${pct(one.model_prob)} · history ${pct(one.historical_freq)}`]]));
    },
  }));
  const hr = e.hit_rate;
  grid.append(tile({
    id: "sel-hitrate", title: "Historical range hit rate", help: "hit-rate", metrics: [hr],
    build(body) {
      const near = Math.abs(hr.rate - hr.target) <= 0.03;
      body.append(headline(pct(hr.rate, 1), near ? "up" : "down", `target ${pct(hr.target)} · 95% CI ${pct(hr.ci_low, 1)}–${pct(hr.ci_high, 1)}`));
      if (hr.series && hr.series.length > 1) {
        lineChart(body, {
          series: [
            { name: "rolling hit rate", cls: "up", data: hr.series.map((p) => ({ x: Date.parse(p.date), y: p.v })) },
            { name: "target", cls: "neutral", data: [{ x: Date.parse(hr.series[0].date), y: hr.target }, { x: Date.parse(hr.series[hr.series.length - 1].date), y: hr.target }] },
          ],
          height: 100, xTicks: 3, yFormat: (v) => pct(v), xFormat: (v) => new Date(v).toISOString().slice(0, 7),
          label: `Rolling 250-day hit rate against the ${pct(hr.target)} target`,
        });
      }
      body.append(kv([["Days held / tested", `${num(hr.hits, 0)} / ${num(hr.n, 0)}`], ["Test period", `${hr.from} → ${hr.to}`]]));
    },
  }));
  const flag = sel.flag;
  grid.append(tile({
    id: "sel-flag", title: "Seller daily flag", help: "seller-flag", metrics: [flag],
    build(body) {
      body.append(h("div", { class: "shield-row" },
        shield({ cls: LEVEL_CLS[flag.flag], text: flag.flag, label: `Seller flag ${label(flag.flag)}` }),
        reasons(flag.reasons)));
    },
  }));
  grid.append(spotTile(payload, "sel-spot", "Spot (for sellers)", (body) => {
    if (available(sr)) {
      body.append(kv([["Cushion to safe range", `${num(sr.spot - sr.lower, 0)} pts below · ${num(sr.upper - sr.spot, 0)} pts above`]]));
    }
  }));
  const tr0 = nearest.trap;
  grid.append(vixTile(payload, "sel-vix", "India VIX — short premium visibility", "seller-vix", (body) => {
    if (available(tr0)) {
      const tr = tr0;
      const rich = tr.spread > 0;
      body.append(h("p", { class: `small ${rich ? "up" : "down"}`, text: rich
        ? `Implied vol is ${num(tr.spread, 2)} pts above 20-day realized: premium carries a cushion.`
        : `Implied vol is ${num(-tr.spread, 2)} pts below realized: premium does not pay for recent movement.` }));
    }
  }, [tr0]));
  grid.append(helpTile("sellers"));
}

/** A tile for a metric the models forecast for the nearest expiry only. */
function nearestOnlyTile(id, title, help, what, nearest) {
  return tile({
    id, title, help, metrics: [],
    build(body) {
      body.append(h("p", { class: "muted", text: `${what} is forecast for the nearest expiry only (${day(nearest.expiry)}): its model is trained on the window to the nearest weekly expiry. Select that expiry to see it.` }));
    },
  });
}

function realizedSkewLine(rs) {
  if (!available(rs)) return unavailableNote(rs, "Realized skewness");
  return h("p", { class: "small muted", text: `Separately — realized skewness of the last ${rs.n} daily returns: ${signed(rs.skewness, 2)} (${rs.skewness < 0 ? "down moves have been larger" : "up moves have been larger"}). This is history, not implied skew.` });
}



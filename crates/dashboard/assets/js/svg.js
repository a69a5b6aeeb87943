// Hand-written SVG visuals: gauges, bands on a price axis, split and scale bars, the heat strip
// of the gamma blocks, the seller's shield and the level ladder. Colours come from CSS classes
// (`up`, `down`, `neutral`, `accent`), so a theme switch recolours them without redrawing.
// Every visual has role="img" and an aria-label that says what it shows.

import { s } from "./dom.js";
import { num, pct } from "./format.js";

const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
const r1 = (x) => Math.round(x * 10) / 10;

function svgRoot(w, hgt, label, cls = "") {
  return s("svg", { viewBox: `0 0 ${w} ${hgt}`, class: `viz ${cls}`, role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" });
}

/** Point on the upper half circle at fraction f ∈ [0, 1] (0 = left, 1 = right). */
function arcPoint(cx, cy, r, f) {
  const a = Math.PI * (1 - f);
  return [cx + r * Math.cos(a), cy - r * Math.sin(a)];
}

function arcPath(cx, cy, r, f0, f1) {
  const [x0, y0] = arcPoint(cx, cy, r, f0);
  const [x1, y1] = arcPoint(cx, cy, r, f1);
  return `M ${r1(x0)} ${r1(y0)} A ${r} ${r} 0 0 1 ${r1(x1)} ${r1(y1)}`;
}

/**
 * Half-circle gauge with an arrow. `value` on [min, max]; `zones`: [{to, cls}] in ascending
 * order (each zone coloured by its class); `marker` (optional) a tick, e.g. a base rate;
 * `ends`: labels at both ends; `label`: accessible description.
 */
export function halfGauge({ value, min = 0, max = 1, zones, marker = null, ends = ["", ""], label, needleCls = "" }) {
  const W = 200, H = 118, cx = 100, cy = 100, R = 80;
  const svg = svgRoot(W, H, label, "gauge");
  let from = 0;
  for (const z of zones) {
    const to = clamp((z.to - min) / (max - min), 0, 1);
    svg.append(s("path", { d: arcPath(cx, cy, R, from, to), class: `arc ${z.cls}` }));
    from = to;
  }
  if (marker !== null && Number.isFinite(marker)) {
    const f = clamp((marker - min) / (max - min), 0, 1);
    const [x0, y0] = arcPoint(cx, cy, R - 14, f);
    const [x1, y1] = arcPoint(cx, cy, R + 12, f);
    svg.append(s("line", { x1: r1(x0), y1: r1(y0), x2: r1(x1), y2: r1(y1), class: "marker" }));
  }
  if (Number.isFinite(value)) {
    const f = clamp((value - min) / (max - min), 0, 1);
    const [tx, ty] = arcPoint(cx, cy, R - 18, f);
    const [lx, ly] = arcPoint(cx, cy, 7, f - 0.5 < 0 ? f + 0.5 : f - 0.5);
    // Arrow: a slim triangle from the hub to the tip.
    const a = Math.PI * (1 - f);
    const px = Math.sin(a) * 5, py = Math.cos(a) * 5;
    svg.append(s("polygon", { points: `${r1(cx + px)},${r1(cy + py)} ${r1(tx)},${r1(ty)} ${r1(cx - px)},${r1(cy - py)} ${r1(lx)},${r1(ly)}`, class: `needle ${needleCls}` }));
  }
  svg.append(s("circle", { cx, cy, r: 6, class: "hub" }));
  svg.append(s("text", { x: 14, y: 116, class: "axis-label", "text-anchor": "start", text: ends[0] }));
  svg.append(s("text", { x: 186, y: 116, class: "axis-label", "text-anchor": "end", text: ends[1] }));
  return svg;
}

/** Three-zone colours for a 0–100 "danger" gauge: low is safe, high is danger. */
export const riskZones = (max = 100) => [{ to: max / 3, cls: "up" }, { to: (2 * max) / 3, cls: "neutral" }, { to: max, cls: "down" }];

/**
 * A horizontal price axis from `min` to `max` with a shaded band [lo, hi], the spot marked,
 * and labelled ticks. Used for the safe short range and the 68 % ranges.
 */
export function priceBand({ lo, hi, spot, min, max, bandCls = "up", label, loText, hiText, extra = [] }) {
  const W = 320, H = 74, x0 = 12, x1 = 308;
  const X = (v) => r1(x0 + ((v - min) / (max - min)) * (x1 - x0));
  const svg = svgRoot(W, H, label, "band");
  svg.append(s("line", { x1: x0, y1: 40, x2: x1, y2: 40, class: "axis" }));
  svg.append(s("rect", { x: X(lo), y: 30, width: Math.max(1, X(hi) - X(lo)), height: 20, rx: 3, class: `band-fill ${bandCls}` }));
  for (const [v, t, anchor] of [[lo, loText ?? num(lo, 0), "middle"], [hi, hiText ?? num(hi, 0), "middle"]]) {
    svg.append(s("line", { x1: X(v), y1: 26, x2: X(v), y2: 54, class: `edge ${bandCls}` }));
    svg.append(s("text", { x: clamp(X(v), 30, 290), y: 68, class: "axis-label", "text-anchor": anchor, text: t }));
  }
  for (const e of extra) {
    svg.append(s("line", { x1: X(e.value), y1: 34, x2: X(e.value), y2: 46, class: `tick ${e.cls || ""}` }));
  }
  svg.append(s("polygon", { points: `${X(spot) - 6},14 ${X(spot) + 6},14 ${X(spot)},26`, class: "spot-marker" }));
  svg.append(s("line", { x1: X(spot), y1: 26, x2: X(spot), y2: 54, class: "spot-line" }));
  svg.append(s("text", { x: clamp(X(spot), 40, 280), y: 10, class: "axis-label strong", "text-anchor": "middle", text: `spot ${num(spot, 0)}` }));
  return svg;
}

/**
 * An arrow ruler: the 68 % range as a ruler around spot, with an arrow from spot to
 * spot + expected move.
 */
export function arrowRuler({ low, high, spot, move, cls, label }) {
  const pad = (high - low) * 0.12;
  const min = low - pad, max = high + pad;
  const W = 320, H = 70, x0 = 12, x1 = 308;
  const X = (v) => r1(x0 + ((v - min) / (max - min)) * (x1 - x0));
  const svg = svgRoot(W, H, label, "ruler");
  svg.append(s("line", { x1: X(low), y1: 40, x2: X(high), y2: 40, class: "ruler-line" }));
  const step = niceStep((high - low) / 6);
  for (let v = Math.ceil(low / step) * step; v <= high; v += step) {
    svg.append(s("line", { x1: X(v), y1: 35, x2: X(v), y2: 45, class: "axis" }));
  }
  for (const v of [low, high]) {
    svg.append(s("line", { x1: X(v), y1: 28, x2: X(v), y2: 52, class: "edge neutral" }));
    svg.append(s("text", { x: clamp(X(v), 28, 292), y: 66, class: "axis-label", "text-anchor": "middle", text: num(v, 0) }));
  }
  const tip = spot + move;
  svg.append(s("line", { x1: X(spot), y1: 20, x2: X(tip), y2: 20, class: `arrow-shaft ${cls}` }));
  const dir = tip >= spot ? 1 : -1;
  svg.append(s("polygon", { points: `${X(tip)},20 ${X(tip) - dir * 8},14 ${X(tip) - dir * 8},26`, class: `arrow-head ${cls}` }));
  svg.append(s("circle", { cx: X(spot), cy: 40, r: 4, class: "spot-dot" }));
  svg.append(s("text", { x: clamp(X(spot), 40, 280), y: 10, class: "axis-label strong", "text-anchor": "middle", text: `spot ${num(spot, 0)}` }));
  return svg;
}

function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** Segmented band (e.g. VIX Low / Normal / High) with a marker at fraction `at` ∈ [0, 1]. */
export function segmentBand({ segments, at, label, markerText }) {
  const W = 320, H = 50, x0 = 6, x1 = 314;
  const svg = svgRoot(W, H, label, "segments");
  const w = (x1 - x0) / segments.length;
  segments.forEach((seg, i) => {
    svg.append(s("rect", { x: r1(x0 + i * w + 1), y: 18, width: r1(w - 2), height: 12, rx: 2, class: `seg ${seg.cls} ${seg.active ? "active" : ""}` }));
    svg.append(s("text", { x: r1(x0 + i * w + w / 2), y: 46, class: `axis-label ${seg.active ? "strong" : ""}`, "text-anchor": "middle", text: seg.text }));
  });
  if (Number.isFinite(at)) {
    const x = r1(x0 + clamp(at, 0, 1) * (x1 - x0));
    svg.append(s("polygon", { points: `${x - 6},4 ${x + 6},4 ${x},16`, class: "spot-marker" }));
    if (markerText) svg.append(s("text", { x: clamp(x + 9, 10, 250), y: 12, class: "axis-label", "text-anchor": "start", text: markerText }));
  }
  return svg;
}

/** Split bar: left share (e.g. DOWN) against right share (UP), with a base-rate tick. */
export function splitBar({ left, right, leftText, rightText, baseRight = null, label }) {
  const W = 320, H = 48, x0 = 4, x1 = 316;
  const total = left + right;
  const fl = total > 0 ? left / total : 0.5;
  const xm = r1(x0 + fl * (x1 - x0));
  const svg = svgRoot(W, H, label, "split");
  svg.append(s("rect", { x: x0, y: 8, width: xm - x0, height: 22, rx: 3, class: "bar down" }));
  svg.append(s("rect", { x: xm, y: 8, width: x1 - xm, height: 22, rx: 3, class: "bar up" }));
  svg.append(s("text", { x: x0 + 6, y: 24, class: "bar-label", "text-anchor": "start", text: leftText }));
  svg.append(s("text", { x: x1 - 6, y: 24, class: "bar-label", "text-anchor": "end", text: rightText }));
  if (baseRight !== null && Number.isFinite(baseRight)) {
    const xb = r1(x0 + (1 - baseRight) * (x1 - x0));
    svg.append(s("line", { x1: xb, y1: 4, x2: xb, y2: 34, class: "marker" }));
    svg.append(s("text", { x: clamp(xb, 40, 280), y: 46, class: "axis-label", "text-anchor": "middle", text: `base rate up ${pct(baseRight)}` }));
  }
  return svg;
}

/** Scale bar from a left verdict to a right verdict with a marker at `at` ∈ [0, 1]. */
export function scaleBar({ at, leftText, rightText, label, zones }) {
  const W = 320, H = 52, x0 = 6, x1 = 314;
  const svg = svgRoot(W, H, label, "scale");
  let from = 0;
  for (const z of zones) {
    svg.append(s("rect", { x: r1(x0 + from * (x1 - x0)), y: 14, width: r1((z.to - from) * (x1 - x0)), height: 12, class: `seg ${z.cls}` }));
    from = z.to;
  }
  const x = r1(x0 + clamp(at, 0, 1) * (x1 - x0));
  svg.append(s("polygon", { points: `${x - 7},2 ${x + 7},2 ${x},14`, class: "spot-marker" }));
  svg.append(s("line", { x1: x, y1: 12, x2: x, y2: 30, class: "spot-line" }));
  svg.append(s("text", { x: x0, y: 46, class: "axis-label", "text-anchor": "start", text: leftText }));
  svg.append(s("text", { x: x1, y: 46, class: "axis-label", "text-anchor": "end", text: rightText }));
  return svg;
}

/** Stacked bar of the three class probabilities (down | neutral | up). */
export function triBar({ up, neutral, down, label }) {
  const W = 320, H = 30, x0 = 2, x1 = 318;
  const svg = svgRoot(W, H, label, "tribar");
  const total = up + neutral + down || 1;
  let x = x0;
  for (const [p, cls, t] of [[down, "down", "D"], [neutral, "neutral", "N"], [up, "up", "U"]]) {
    const w = ((x1 - x0) * p) / total;
    svg.append(s("rect", { x: r1(x), y: 4, width: r1(Math.max(0, w - 1)), height: 22, class: `bar ${cls}` }));
    if (w > 44) svg.append(s("text", { x: r1(x + w / 2), y: 20, class: "bar-label", "text-anchor": "middle", text: `${t} ${pct(p)}` }));
    x += w;
  }
  return svg;
}

/**
 * Heat strip of the 30-minute blocks: each cell's opacity is its score (relative to the busiest
 * block), and under it a bar for today's activity so far.
 */
export function heatStrip({ blocks, peak, label }) {
  const n = blocks.length;
  const W = 326, H = 86, x0 = 4, cw = (W - 2 * x0) / n;
  const svg = svgRoot(W, H, label, "heat");
  blocks.forEach((b, i) => {
    const x = r1(x0 + i * cw);
    svg.append(s("rect", { x, y: 6, width: r1(cw - 2), height: 34, rx: 2, class: `heat-cell ${i === peak ? "peak" : ""}`, "fill-opacity": r1(Math.max(0.08, b.score)).toString() },
      s("title", { text: `${b.start}–${b.end}: score ${num(b.score, 2)}, mean |5-min return| ${num(b.mean_abs_ret_bp, 1)} bp${b.today === null || b.today === undefined ? "" : `, today ${num(b.today, 2)}`}` })));
    if (b.today !== null && b.today !== undefined) {
      const hgt = r1(Math.min(1.2, b.today) * 16);
      svg.append(s("rect", { x, y: r1(60 - hgt), width: r1(cw - 2), height: hgt, class: "today-bar" }));
    }
    if (i % 2 === 0) svg.append(s("text", { x: r1(x + cw / 2), y: 76, class: "axis-label small", "text-anchor": "middle", text: b.start }));
  });
  svg.append(s("line", { x1: x0, y1: 60, x2: W - x0, y2: 60, class: "axis" }));
  return svg;
}

/** The seller's shield, coloured by the flag. */
export function shield({ cls, text, label }) {
  const svg = svgRoot(120, 120, label, "shield");
  svg.append(s("path", { d: "M60 6 L108 22 L104 64 C100 92 80 106 60 114 C40 106 20 92 16 64 L12 22 Z", class: `shield-body ${cls}` }));
  svg.append(s("text", { x: 60, y: 66, class: "shield-text", "text-anchor": "middle", text }));
  return svg;
}

/**
 * Ladder of price levels, highest first, one evenly spaced rung per level (the values are
 * printed, so rungs need not be to scale), spot highlighted. `levels`: [{name, value, cls}].
 */
export function ladder({ levels, spot, label }) {
  const items = levels.filter((l) => Number.isFinite(l.value)).concat([{ name: "spot", value: spot, cls: "spot" }]);
  items.sort((a, b) => b.value - a.value);
  const W = 320, row = 20, H = 8 + items.length * row;
  const svg = svgRoot(W, H, label, "ladder");
  svg.append(s("line", { x1: 150, y1: 4, x2: 150, y2: H - 4, class: "axis" }));
  items.forEach((l, i) => {
    const y = 4 + row / 2 + i * row;
    const strong = l.cls === "spot" ? "strong" : "";
    svg.append(s("line", { x1: 136, y1: y, x2: 164, y2: y, class: `lvl ${l.cls}` }));
    svg.append(s("text", { x: 126, y: y + 4, class: `axis-label ${strong}`, "text-anchor": "end", text: l.name }));
    svg.append(s("text", { x: 174, y: y + 4, class: `axis-label ${strong}`, "text-anchor": "start", text: num(l.value, 2) }));
  });
  return svg;
}

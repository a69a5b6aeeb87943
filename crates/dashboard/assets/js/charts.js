// Line and bar charts drawn with the vendored Chartist 1.5 (SVG; MIT OR WTFPL; see
// vendor/chartist/README.md). Colours come from CSS (series class names), so a theme switch
// needs no redraw.
//
// Content-Security-Policy shim: Chartist sets a few presentation styles with
// setAttribute("style", …) (the SVG's size, label overflow), which `style-src 'self'` refuses.
// We route those through the CSSOM (element.style.cssText), which the policy allows, so the
// charts render without a single CSP violation. Nothing else in Chartist is changed.

import { h } from "./dom.js";

const C = globalThis.Chartist;

if (C && C.Svg && !C.Svg.prototype.__aegisCspShim) {
  const attr = C.Svg.prototype.attr;
  C.Svg.prototype.attr = function (attributes, ns) {
    if (attributes && typeof attributes === "object" && "style" in attributes) {
      const { style, ...rest } = attributes;
      if (style !== undefined) this._node.style.cssText = String(style);
      return attr.call(this, rest, ns);
    }
    return attr.apply(this, arguments);
  };
  C.Svg.prototype.__aegisCspShim = true;
}

/** Whether the chart library loaded (it is a local file, so only a broken export lacks it). */
export const chartsAvailable = () => Boolean(C);

function fallback(el, what) {
  el.append(h("p", { class: "muted small", text: `The chart library did not load, so the ${what} chart cannot be drawn; reload the page.` }));
}

/**
 * A line chart. `series`: [{ name, cls, data: [{x, y}], area }]; x numeric (time in ms for
 * time axes). Options: `height` (px), `xFormat`/`yFormat` (label functions), `low`/`high`
 * (y range), `xTicks` (number of x labels) or `xTicksAt` (their values), `points` (show
 * points), `showX`/`showY` (axes), `label` (aria-label).
 */
export function lineChart(el, { series, height = 120, xFormat = String, yFormat = String, low, high, xTicks = 4, xTicksAt = null, yTicks = 4, points = false, label, showX = true, showY = true }) {
  const box = h("div", { class: "chart", role: "img", "aria-label": label });
  el.append(box);
  if (!C) return fallback(box, label), box;
  const ys = series.flatMap((s) => s.data.map((p) => p.y)).filter(Number.isFinite);
  const xs = series.flatMap((s) => s.data.map((p) => p.x)).filter(Number.isFinite);
  new C.LineChart(
    box,
    { series: series.map((s) => ({ name: s.name, className: `ct-series s-${s.cls}`, data: s.data })) },
    {
      height: `${height}px`,
      showPoint: points,
      lineSmooth: false,
      showArea: false,
      // Per-series options, keyed by series name: only the series flagged `area` are filled.
      series: Object.fromEntries(series.map((s) => [s.name, { showArea: Boolean(s.area) }])),
      fullWidth: true,
      chartPadding: { top: 8, right: 10, bottom: 0, left: showY ? 0 : 2 },
      low: low ?? Math.min(...ys),
      high: high ?? Math.max(...ys),
      axisX: {
        type: C.FixedScaleAxis,
        divisor: xTicks,
        ticks: xTicksAt || undefined,
        low: Math.min(...xs),
        high: Math.max(...xs),
        showLabel: showX,
        offset: showX ? 30 : 0,
        showGrid: false,
        labelInterpolationFnc: xFormat,
      },
      axisY: { type: C.AutoScaleAxis, scaleMinSpace: 22, showLabel: showY, offset: showY ? 52 : 0, labelInterpolationFnc: yFormat, onlyInteger: false, divisor: yTicks },
    },
  );
  return box;
}

/**
 * A bar chart. `labels`: x labels; `series`: [{ name, cls, data: [numbers or null] }].
 * Options: `height`, `yFormat`, `low`/`high`, `horizontal`, `label`.
 */
export function barChart(el, { labels, series, height = 120, yFormat = String, low = 0, high, horizontal = false, label, seriesBarDistance = 12 }) {
  const box = h("div", { class: "chart bars", role: "img", "aria-label": label });
  el.append(box);
  if (!C) return fallback(box, label), box;
  new C.BarChart(
    box,
    { labels, series: series.map((s) => ({ name: s.name, className: `ct-series s-${s.cls}`, data: s.data })) },
    {
      height: `${height}px`,
      low,
      high,
      horizontalBars: horizontal,
      seriesBarDistance,
      chartPadding: { top: 8, right: 8, bottom: 0, left: 0 },
      axisY: { labelInterpolationFnc: horizontal ? String : yFormat, offset: horizontal ? 60 : 40, showGrid: !horizontal, onlyInteger: false },
      axisX: { labelInterpolationFnc: horizontal ? yFormat : String, showGrid: horizontal },
    },
  );
  return box;
}

/** A legend for a chart: [{ name, cls }]. */
export function legend(items) {
  return h("ul", { class: "legend" }, items.map((i) => h("li", { class: `s-${i.cls}` }, h("span", { class: "swatch", "aria-hidden": "true" }), i.name)));
}

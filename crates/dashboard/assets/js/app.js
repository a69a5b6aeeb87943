// Entry point of the dashboard page: loads the payload, renders the selected tab, shows the
// banners, refreshes every N seconds (the page's <meta name="aegis-refresh-secs">) and on the
// refresh button, and shows the disclaimer when it is due.
//
// Modules: api.js (data), views/*.js (one per tab), tile.js (tile frame, provenance, help),
// svg.js (hand-drawn visuals), charts.js (Chartist line/bar charts), modal.js (dialogs and the
// disclaimer), banners.js, theme.js, format.js, dom.js, help.js (the help texts).

import { h, clear, meta } from "./dom.js";
import { loadPayload, loadToolkit, loadAlerts, initIndex } from "./api.js";
import { initIndexPicker, indexBanner } from "./indices.js";
import { renderBanners } from "./banners.js";
import { initThemeToggle } from "./theme.js";
import { maybeShowDisclaimer } from "./modal.js";
import { istTime, age } from "./format.js";
import * as direction from "./views/direction.js";
import * as sellers from "./views/sellers.js";
import * as buyers from "./views/buyers.js";
import * as chain from "./views/chain.js";
import * as strategy from "./views/strategy.js";

const VIEWS = ["direction", "sellers", "buyers", "chain", "strategy"];
// The view named by the hash ("#strategy?legs=…" keeps the strategy state after the "?").
const hashView = () => location.hash.slice(1).split("?")[0];

const state = {
  payload: null,
  error: null,
  view: VIEWS.includes(hashView()) ? hashView() : "direction",
  toolkit: null,
  toolkitError: null,
  chainExpiry: 0,
  expiry: 0,
  loading: false,
  rendered: false,
  // Incremented by every load: a load that a newer one (another index) replaced is dropped.
  generation: 0,
};

const $ = (id) => document.getElementById(id);

function renderView() {
  const main = $("view");
  clear(main);
  main.setAttribute("aria-labelledby", `tab-${state.view}`);
  main.dataset.view = state.view;
  for (const b of document.querySelectorAll(".tabs [role=tab]")) {
    const on = b.dataset.view === state.view;
    b.setAttribute("aria-selected", on ? "true" : "false");
    b.tabIndex = on ? 0 : -1;
  }
  if (!state.payload) {
    main.append(h("p", { class: "loading", text: state.error ? "No payload to show yet." : "Loading the payload…" }));
    return;
  }
  const grid = h("div", { class: "grid", id: "grid" });
  if (state.view === "direction") direction.render(state.payload, grid);
  if (state.view === "sellers") {
    const n = state.payload.seller.expiries.length;
    if (state.expiry >= n) state.expiry = 0;
    if (n > 0) main.append(sellers.expirySelector(state.payload, state.expiry, (i) => { state.expiry = i; renderView(); }));
    sellers.render(state.payload, grid, state.expiry);
  }
  if (state.view === "buyers") buyers.render(state.payload, grid);
  if (state.view === "chain") {
    if (!state.toolkit) chain.missing(grid, state.toolkitError);
    else {
      if (state.chainExpiry >= state.toolkit.explorer.length) state.chainExpiry = 0;
      if (state.toolkit.explorer.length > 1) main.append(chain.expirySelector(state.toolkit, state.chainExpiry, (i) => { state.chainExpiry = i; renderView(); }));
      chain.render(state.toolkit, grid, state.chainExpiry);
    }
  }
  if (state.view === "strategy") strategy.render(state.toolkit, grid);
  main.append(grid);
  if (!state.rendered) {
    state.rendered = true;
    // Time to first render, readable with performance.getEntriesByName("aegis-first-render").
    performance.mark("aegis-first-render");
  }
  document.documentElement.dataset.rendered = "true";
}

function renderChrome() {
  renderBanners($("banners"), state.payload, state.error, state.alerts);
  const ib = indexBanner();
  if (ib) $("banners").prepend(ib);
  const p = state.payload;
  $("updated").textContent = p ? `Data as of ${istTime(p.meta.data_as_of)} · generated ${age(p.meta.generated_at)}` : "";
  if (p) {
    $("sources").textContent = p.meta.sources.length ? p.meta.sources.join(" · ") : "none listed";
    $("engine-version").textContent = p.meta.engine_version;
  }
}

/**
 * Loads the payload (keeping the last good one on failure) and re-renders. `indexChanged`:
 * the index was switched, so nothing of the previous one is kept and every view is redrawn.
 */
async function refresh(indexChanged = false) {
  if (state.loading && !indexChanged) return;
  const generation = ++state.generation;
  state.loading = true;
  $("refresh").setAttribute("aria-busy", "true");
  const next = { payload: indexChanged ? null : state.payload, error: null, alerts: null, toolkit: indexChanged ? null : state.toolkit, toolkitError: null };
  try {
    next.payload = await loadPayload();
    try {
      next.alerts = await loadAlerts();
    } catch (e) {
      next.alerts = null;
    }
    try {
      next.toolkit = await loadToolkit();
    } catch (e) {
      next.toolkitError = e;
      if (indexChanged) next.toolkit = null;
    }
  } catch (e) {
    next.error = e;
    next.alerts = state.alerts;
    next.toolkitError = state.toolkitError;
  }
  if (generation !== state.generation) return;
  Object.assign(state, next);
  state.loading = false;
  $("refresh").removeAttribute("aria-busy");
  renderChrome();
  // Do not redraw under an open help pop-up; the next refresh will.
  // The strategy builder keeps its edits: it is drawn once per visit, not on every refresh.
  const keep = state.rendered && state.view === "strategy" && !indexChanged;
  if ((!document.body.classList.contains("modal-open") || !state.rendered) && !keep) renderView();
}

/** Another index was chosen: show nothing of the previous one, then load it. */
function switchIndex() {
  Object.assign(state, { payload: null, error: null, alerts: null, toolkit: null, toolkitError: null, expiry: 0, chainExpiry: 0 });
  renderChrome();
  renderView();
  refresh(true);
}

function selectView(view, focus = false) {
  if (!VIEWS.includes(view)) return;
  state.view = view;
  if (hashView() !== view) history.replaceState(null, "", `#${view}`);
  renderView();
  if (focus) $(`tab-${view}`).focus();
}

function initTabs() {
  const tabs = [...document.querySelectorAll(".tabs [role=tab]")];
  for (const t of tabs) {
    t.addEventListener("click", () => selectView(t.dataset.view));
    t.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(t);
      if (e.key === "ArrowRight") selectView(tabs[(i + 1) % tabs.length].dataset.view, true);
      if (e.key === "ArrowLeft") selectView(tabs[(i + tabs.length - 1) % tabs.length].dataset.view, true);
    });
  }
}

function boot() {
  initTabs();
  initThemeToggle($("theme-toggle"));
  $("refresh").addEventListener("click", () => refresh());
  const secs = Math.max(5, Number(meta("aegis-refresh-secs", "60")) || 60);
  setInterval(() => refresh(), secs * 1000);
  renderView();
  maybeShowDisclaimer();
  initIndex().then(() => {
    initIndexPicker($("index-picker"), switchIndex);
    refresh();
  });
}

boot();

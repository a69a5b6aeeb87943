// The index selector in the header (every page that shows data): lists the manifest's indices
// with the state of their last run (a failed index or one without a payload is marked and
// disabled, its message in the title), names the index in the header and the title, and keeps
// the index in the links to the other pages. Hidden when the site has only one index.

import { h, clear } from "./dom.js";
import { currentIndex, selectIndex, withIndex, PRIMARY } from "./api.js";
import { istTime } from "./format.js";

/** "NIFTY BANK — failed (no data)", and the title: when the last run ended and its message. */
function optionTexts(e) {
  const mark = e.state === "ok" ? "" : ` — ${e.state}`;
  const text = `${e.name}${mark}${e.payload ? "" : " (no data)"}`;
  const title = `Last run ${istTime(e.last_run_at)} · ${e.state}: ${e.message}`;
  return { text, title };
}

/** Names the index shown in the header and the title, and keeps it in the page links. */
function applyToPage() {
  const { code, name } = currentIndex();
  const sub = document.querySelector(".brand-sub");
  if (sub) sub.textContent = `${name} options intelligence`;
  document.title = document.title.replace(/NIFTY 50|NIFTY BANK|NIFTY FIN SERVICE|NIFTY MIDCAP SELECT/, name);
  document.documentElement.dataset.index = code;
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.dataset.href || a.getAttribute("href");
    if (!/^[a-z]+\.html(#.*)?$/.test(href)) continue;
    a.dataset.href = href;
    a.setAttribute("href", withIndex(href));
  }
}

/**
 * Fills `root` (the header's #index-picker) with the selector; `onChange(code)` runs after the
 * choice is made current (in the URL and remembered).
 */
export function initIndexPicker(root, onChange) {
  applyToPage();
  const m = currentIndex().manifest;
  if (!root) return;
  clear(root);
  if (!m || m.indices.length < 2) {
    root.hidden = true;
    return;
  }
  const select = h("select", { id: "index-select", "aria-label": "Index" });
  for (const e of m.indices) {
    const { text, title } = optionTexts(e);
    select.append(h("option", { value: e.symbol, title, dataset: { state: e.state }, disabled: !e.payload && e.symbol !== currentIndex().code, text }));
  }
  const sync = () => {
    select.value = currentIndex().code;
    const e = currentIndex().entry;
    select.title = e ? optionTexts(e).title : "";
    select.dataset.state = e ? e.state : "ok";
  };
  sync();
  select.addEventListener("change", () => {
    selectIndex(select.value);
    sync();
    applyToPage();
    onChange(currentIndex().code);
  });
  root.append(h("label", { class: "index-label", for: "index-select", text: "Index" }), select);
  root.hidden = false;
}

/** A banner for the index shown when its last run failed, or the site's index problem. */
export function indexBanner() {
  const { entry, problem, name } = currentIndex();
  if (problem) {
    return h("div", { class: "banner error", role: "alert", dataset: { banner: "index" } }, h("strong", { text: "Index: " }), problem.cause,
      problem.fix ? [" — fix: ", h("code", { text: problem.fix })] : null);
  }
  if (!entry || entry.state !== "failed") return null;
  return h("div", { class: "banner failing", role: "alert", dataset: { banner: "index" } },
    h("strong", { text: `${name}: the last run failed (${istTime(entry.last_run_at)}).` }),
    h("p", { text: entry.message }),
    h("p", { class: "small", text: entry.payload ? `Showing its last good payload, generated ${istTime(entry.payload.generated_at)}.` : "There is no payload for this index yet." }));
}

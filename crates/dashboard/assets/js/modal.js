// Modal dialogs: role="dialog", aria-modal="true", focus moved in and trapped, the page behind
// made inert, focus restored on close. The help pop-ups close with Escape, the backdrop or the
// close button; the disclaimer closes only through its "I understand" button.

import { h, clear } from "./dom.js";

let open = null;

function focusables(root) {
  return [...root.querySelectorAll("a[href], button:not([disabled]), input, select, textarea, [tabindex]:not([tabindex='-1'])")];
}

/**
 * Opens a modal. `title` (string), `body` (node or nodes), `dismissible` (Escape, backdrop and
 * a close button), `id` (of the dialog element), `actions` (buttons placed at the bottom).
 * Returns `{ close, dialog }`. Opening a modal closes the one already open.
 */
export function openModal({ title, body, dismissible = true, id = null, actions = [], className = "" }) {
  if (open) open.close();
  const root = document.getElementById("modal-root");
  const page = document.getElementById("page");
  const previous = document.activeElement;
  const titleId = `${id || "modal"}-title`;
  const closeBtn = dismissible
    ? h("button", { type: "button", class: "icon-btn modal-close", "aria-label": "Close", text: "×" })
    : null;
  const dialog = h("div", { class: `modal ${className}`, role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, id, tabindex: "-1" },
    h("div", { class: "modal-head" }, h("h2", { id: titleId, text: title }), closeBtn),
    h("div", { class: "modal-body" }, body),
    actions.length ? h("div", { class: "modal-actions" }, actions) : null);
  const backdrop = h("div", { class: "modal-backdrop" }, dialog);
  clear(root);
  root.append(backdrop);
  page.inert = true;
  page.setAttribute("aria-hidden", "true");
  document.body.classList.add("modal-open");

  function onKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      if (dismissible) close();
      return;
    }
    if (e.key !== "Tab") return;
    const f = focusables(dialog);
    if (f.length === 0) { e.preventDefault(); dialog.focus(); return; }
    const first = f[0], last = f[f.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }
  function close() {
    document.removeEventListener("keydown", onKey, true);
    backdrop.remove();
    page.inert = false;
    page.removeAttribute("aria-hidden");
    document.body.classList.remove("modal-open");
    open = null;
    if (previous && typeof previous.focus === "function" && document.contains(previous)) previous.focus();
  }
  document.addEventListener("keydown", onKey, true);
  if (dismissible) {
    closeBtn.addEventListener("click", close);
    backdrop.addEventListener("click", (e) => { if (e.target === backdrop) close(); });
  }
  const f = focusables(dialog);
  (f.find((x) => !x.classList.contains("modal-close")) || f[0] || dialog).focus();
  open = { close, dialog };
  return open;
}

// ── Disclaimer ─────────────────────────────────────────────────────────────

const DISCLAIMER_KEY = "aegis.disclaimerAcceptedAt";
/** The disclaimer is shown again this long after it was accepted: 2 days. */
export const DISCLAIMER_EVERY_MS = 2 * 24 * 60 * 60 * 1000;

/** Whether the disclaimer is due: never accepted, accepted over 2 days ago, or storage unreadable. */
export function disclaimerDue(now = Date.now()) {
  let at = NaN;
  try {
    at = Number(localStorage.getItem(DISCLAIMER_KEY));
  } catch (e) {
    return true;
  }
  return !Number.isFinite(at) || at <= 0 || now - at >= DISCLAIMER_EVERY_MS || at > now + 60000;
}

/** Shows the disclaimer if it is due; it closes only through "I understand". */
export function maybeShowDisclaimer() {
  if (!disclaimerDue()) return null;
  const ok = h("button", { type: "button", class: "btn primary", id: "disclaimer-accept", text: "I understand" });
  const m = openModal({
    title: "Before you use AegisMatrix",
    id: "disclaimer",
    dismissible: false,
    className: "disclaimer",
    body: [
      h("p", { text: "AegisMatrix is an educational tool. It estimates probabilities from historical NIFTY 50, India VIX and option-chain data with statistical models whose out-of-sample skill is shown beside every number." }),
      h("p", { text: "It is not investment advice, not a recommendation to buy or sell any security or derivative, and not a substitute for your own judgement or a registered adviser. Options can lose their whole premium quickly, and short options can lose far more than the premium received." }),
      h("p", { text: "Data may be delayed, incomplete or wrong; it is not real-time exchange data. Past behaviour of the market does not guarantee future behaviour, and a calibrated probability of 90% still fails one time in ten." }),
      h("p", { text: "You are solely responsible for your trading decisions. This notice appears on your first visit and again every two days." }),
    ],
    actions: [ok],
  });
  ok.addEventListener("click", () => {
    try {
      localStorage.setItem(DISCLAIMER_KEY, String(Date.now()));
    } catch (e) {
      /* storage disabled: it will be shown again next time */
    }
    m.close();
  });
  return m;
}

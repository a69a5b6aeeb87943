// Banners above the tiles: the payload could not be loaded; simulated data; stale data;
// degraded or failing health (listing every unavailable metric with its reason and fix); active
// alerts (alerts.json: rules whose condition holds, when each fired and whether the webhook took it).

import { h, clear } from "./dom.js";
import { age, istTime } from "./format.js";

function banner(kind, title, ...content) {
  return h("div", { class: `banner ${kind}`, role: kind === "error" ? "alert" : "status", dataset: { banner: kind } },
    h("strong", { text: title }), ...content);
}

function issueList(issues) {
  return h("ul", { class: "issue-list" }, issues.map((i) => h("li", {},
    h("code", { text: i.metric }), ` — ${i.reason || i.status}`,
    i.fix ? [" · fix: ", h("code", { text: i.fix })] : null)));
}

/** Active alert rules (alerts.json), with the events of the last day. */
function alertBanner(alerts) {
  const active = (alerts.rules || []).filter((r) => r.state === "active");
  if (!active.length) return null;
  return banner("alert", `Alert${active.length === 1 ? "" : "s"}: ${active.map((r) => r.rule).join(" · ")}`,
    h("ul", { class: "issue-list" }, active.map((r) => {
      const fired = (alerts.events || []).find((e) => e.rule === r.rule);
      return h("li", { dataset: { alert: r.rule } }, h("code", { text: r.condition }), ` — value ${r.value}, against ${r.against}`,
        fired ? ` · fired ${istTime(fired.at)}, webhook ${fired.delivery}` : null);
    })));
}

/** Shows the banners for `payload` (or for the load `error`), and active `alerts`, in `root`. */
export function renderBanners(root, payload, error = null, alerts = null) {
  clear(root);
  if (alerts) {
    const a = alertBanner(alerts);
    if (a) root.append(a);
  }
  if (error) {
    root.append(banner("error", "The data could not be loaded.", h("p", {}, error.cause, error.fix ? [" — fix: ", h("code", { text: error.fix })] : null),
      payload ? h("p", { class: "small", text: `Showing the last payload that loaded (generated ${istTime(payload.meta.generated_at)}).` }) : null));
  }
  if (!payload) return;
  const meta = payload.meta;
  if (meta.simulated) {
    root.append(banner("simulated", "Simulated market (demo mode).", h("p", { text: "Every number on this page comes from the project's simulator, not from NSE or Yahoo data. Do not use it for trading decisions." })));
  }
  const health = meta.health;
  if (health.stale.length) {
    root.append(banner("stale", `Stale data: ${health.stale.length} metric${health.stale.length === 1 ? " is" : "s are"} computed from data older than the ${meta.settings.stale_after_minutes}-minute limit.`, issueList(health.stale)));
  }
  if (health.status === "failing") {
    root.append(banner("failing", "Health: failing — nothing reliable could be computed.", health.unavailable.length ? issueList(health.unavailable) : null,
      health.notes.length ? h("p", { text: health.notes.join(" · ") }) : null));
  } else if (health.unavailable.length || health.status === "degraded") {
    root.append(banner("degraded", `Health: degraded — ${health.unavailable.length} metric${health.unavailable.length === 1 ? " is" : "s are"} unavailable.`, issueList(health.unavailable),
      health.notes.length ? h("p", { text: health.notes.join(" · ") }) : null));
  }
  const session = payload.market.session;
  const ageMin = (Date.now() - Date.parse(meta.generated_at)) / 60000;
  if (session.market_open && ageMin > meta.settings.stale_after_minutes) {
    root.append(banner("stale", `This payload was generated ${age(meta.generated_at)}, during an open session.`, h("p", {}, "Newer data may exist — fix: ", h("code", { text: "aegis run" }), " (or check that the scheduler of ", h("code", { text: "aegis serve" }), " is running).")));
  }
}

// Data access. Every URL is relative and exists both on the server and in the static export:
// data/indices.json (the manifest of the indices; absent on older sites: NIFTY 50 only), and
// per index data/<prefix><doc>.json, where the prefix is "" for NIFTY 50 and
// "indices/<CODE>/" for the others (dataUrl). The index is chosen by ?index=<CODE> in the URL,
// else the last choice (localStorage), else NIFTY 50.

/** An error with the server's (or our) cause and fix. */
export class DataError extends Error {
  constructor(cause, fix, status = 0) {
    super(cause);
    this.cause = cause;
    this.fix = fix;
    this.status = status;
  }
}

/** The index whose documents are at the root of data/. */
export const PRIMARY = "NIFTY50";
const NAMES = { NIFTY50: "NIFTY 50", NIFTYBANK: "NIFTY BANK", FINNIFTY: "NIFTY FIN SERVICE", MIDCAPSELECT: "NIFTY MIDCAP SELECT" };
const KEY = "aegis-index";
const stored = () => { try { return localStorage.getItem(KEY); } catch (e) { return null; } };

/** The index shown: code, display name, its manifest entry, the manifest, and a problem to show. */
const current = { code: PRIMARY, name: NAMES[PRIMARY], entry: null, manifest: null, problem: null };
export const currentIndex = () => current;

/** The URL of an index's document (`payload.json`, `history.json`, …): the one data prefix. */
export const dataUrl = (doc, code = current.code) => `data/${code === PRIMARY ? "" : `indices/${code}/`}${doc}`;

/** `href` (a page of this site) carrying the index, when the site has several. */
export function withIndex(href, code = current.code) {
  const listed = current.manifest && current.manifest.indices.length > 1;
  if (!listed) return href;
  const [path, hash] = href.split("#");
  const base = path.split("?")[0];
  return `${base}?index=${encodeURIComponent(code)}${hash === undefined ? "" : `#${hash}`}`;
}

/** Makes `code` the index shown: remembered, and in the URL (shareable). */
export function selectIndex(code) {
  const m = current.manifest;
  const entry = m ? m.indices.find((e) => e.symbol === code) : null;
  current.code = entry ? code : PRIMARY;
  current.entry = entry || (m ? m.indices.find((e) => e.symbol === PRIMARY) || null : null);
  current.name = entry ? entry.name : NAMES[current.code];
  if (m && m.indices.length > 1) {
    try { localStorage.setItem(KEY, current.code); } catch (e) { /* private mode: the URL keeps it */ }
    history.replaceState(history.state, "", withIndex(location.pathname.split("/").pop() + location.hash));
  }
  return current;
}

/** Reads the manifest and picks the index: ?index=, else the last choice, else NIFTY 50. */
export async function initIndex() {
  const wanted = new URLSearchParams(location.search).get("index") || stored() || PRIMARY;
  try {
    current.manifest = await getJson("data/indices.json");
  } catch (e) {
    // 404: a site without a manifest serves NIFTY 50 only, as before there were several.
    if (e.status !== 404) current.problem = e;
  }
  const listed = current.manifest && current.manifest.indices.some((e) => e.symbol === wanted);
  if (wanted !== PRIMARY && !listed && new URLSearchParams(location.search).get("index")) {
    current.problem = new DataError(`the index ${wanted} is not listed on this site; showing ${NAMES[PRIMARY]}`, "pick an index in the selector, or run `aegis run` for it");
  }
  return selectIndex(listed ? wanted : PRIMARY);
}

async function getJson(url) {
  let res;
  try {
    // "no-cache": revalidate with the ETag every time (a 304 costs a few bytes).
    res = await fetch(url, { cache: "no-cache", headers: { Accept: "application/json" } });
  } catch (e) {
    throw new DataError(`cannot reach ${url}: ${e.message}`, "check that `aegis serve` is running, or that the exported site is complete");
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    if (res.ok) throw new DataError(`${url} is not valid JSON`, "run `aegis run` (or re-export the site) to write it again");
  }
  if (!res.ok) {
    const cause = body && body.cause ? body.cause : `${url} answered HTTP ${res.status}`;
    const fix = body && body.fix ? body.fix : "run `aegis run`, then reload";
    throw new DataError(cause, fix, res.status);
  }
  return body;
}

/** The payload of the index shown (refused when it says it is another index's). */
export async function loadPayload() {
  const url = dataUrl("payload.json");
  const p = await getJson(url);
  if (p && p.market && p.market.symbol !== current.code) {
    throw new DataError(`${url} is the payload of ${p.market.symbol}, not of ${current.code}`, "run `aegis run` to write each index's payload in its own directory");
  }
  return p;
}
/** History of the main metrics: { metrics: [{metric, label, points}], problem }. */
export const loadHistory = () => getJson(dataUrl("history.json"));
/** Model cards: { models: [{file, card} | {file, error}], problem }. */
export const loadModels = () => getJson(dataUrl("models.json"));
/** The toolkit document (chain explorer, vol history, intraday chain, GEX, strategy presets). */
export const loadToolkit = () => getJson(dataUrl("toolkit.json"));
/** Alert rules and recent events: { rules: [{rule, condition, state, value, against, reason}], events: [...] }. */
export const loadAlerts = () => getJson(dataUrl("alerts.json"));

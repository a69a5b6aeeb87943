// Data access. Every URL is relative and exists both on the server and in the static export:
// data/payload.json, data/schema.json, data/history.json, data/models.json.

/** An error with the server's (or our) cause and fix. */
export class DataError extends Error {
  constructor(cause, fix) {
    super(cause);
    this.cause = cause;
    this.fix = fix;
  }
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
    throw new DataError(cause, fix);
  }
  return body;
}

/** The payload. */
export const loadPayload = () => getJson("data/payload.json");
/** History of the main metrics: { metrics: [{metric, label, points}], problem }. */
export const loadHistory = () => getJson("data/history.json");
/** Model cards: { models: [{file, card} | {file, error}], problem }. */
export const loadModels = () => getJson("data/models.json");
/** The toolkit document (chain explorer, vol history, intraday chain, GEX, strategy presets). */
export const loadToolkit = () => getJson("data/toolkit.json");
/** Alert rules and recent events: { rules: [{rule, condition, state, value, against, reason}], events: [...] }. */
export const loadAlerts = () => getJson("data/alerts.json");

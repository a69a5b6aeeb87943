// Number, time and label formatting used by every view. Numbers use the Indian digit grouping
// (26,209.65) since the audience trades NSE.

const nf = (d) => new Intl.NumberFormat("en-IN", { minimumFractionDigits: d, maximumFractionDigits: d });
const cache = new Map();
function fmt(d) {
  if (!cache.has(d)) cache.set(d, nf(d));
  return cache.get(d);
}

/** A plain number with `d` decimals; "—" when missing. */
export function num(x, d = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : fmt(d).format(x);
}

/** An index level / point value (2 decimals). */
export const pts = (x) => num(x, 2);

/** A signed number: +12.30 / −4.10. */
export function signed(x, d = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  const t = fmt(d).format(Math.abs(x));
  return x > 0 ? `+${t}` : x < 0 ? `−${t}` : t;
}

/** A probability in [0, 1] as a percentage: 0.412 → "41%" (or with decimals). */
export function pct(p, d = 0) {
  return p === null || p === undefined || !Number.isFinite(p) ? "—" : `${fmt(d).format(p * 100)}%`;
}

/** A value already in percent: 1.5 → "1.50%". */
export function pctv(x, d = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : `${fmt(d).format(x)}%`;
}

/** A signed value already in percent. */
export function signedPct(x, d = 2) {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : `${signed(x, d)}%`;
}

/** "LOW_VOL_BULL" → "Low vol bull". */
export function label(code) {
  if (!code) return "—";
  const t = String(code).toLowerCase().replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Age of an ISO time relative to now: "4 min ago", "3 h ago", "2 d ago". */
export function age(iso, now = Date.now()) {
  if (!iso) return "no data time";
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return "unknown time";
  const m = Math.round(ms / 60000);
  if (m < 1) return "just now";
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 48) return `${hrs} h ago`;
  return `${Math.round(hrs / 24)} d ago`;
}

/** An ISO time shown in IST: "28 Nov 2025, 13:50 IST". */
export function istTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const f = new Intl.DateTimeFormat("en-IN", {
    timeZone: "Asia/Kolkata", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  return `${f.format(d)} IST`;
}

/** A date "2025-12-02" as "Tue 2 Dec 2025". */
export function day(isoDate) {
  if (!isoDate) return "—";
  const d = new Date(`${isoDate}T00:00:00Z`);
  return new Intl.DateTimeFormat("en-IN", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(d);
}

/** Class name for a direction: up / down / neutral. */
export function dirClass(d) {
  return d === "UP" ? "up" : d === "DOWN" ? "down" : "neutral";
}

/** Arrow glyph for a direction. */
export function dirArrow(d) {
  return d === "UP" ? "▲" : d === "DOWN" ? "▼" : "◆";
}

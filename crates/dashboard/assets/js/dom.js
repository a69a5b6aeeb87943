// Small DOM helpers. Everything is built with createElement/textContent: no HTML strings,
// no inline styles or handlers (the Content-Security-Policy forbids them).

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<Event>` (listener), `dataset`
 * (object), anything else becomes an attribute (skipped when null/undefined/false).
 * Children may be nodes, strings or arrays of them (null is skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an SVG element with attributes and children. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k === "text") el.textContent = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Removes every child of `el`. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** The `content` of `<meta name=…>`, or `fallback`. */
export function meta(name, fallback) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.getAttribute("content") : fallback;
}

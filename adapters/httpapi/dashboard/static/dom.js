// DOM helpers. Everything shown comes from the API and is untrusted (topic
// metadata, reasons, actor names), so text only ever goes into the page as
// text nodes: nothing here parses HTML, and the Content-Security-Policy's
// Trusted Types rule makes any assignment of an HTML string throw.

// h creates an element. props sets properties (className, type, hidden,
// title, ...), except "dataset" (an object of data-* values) and "on" (an
// object of event listeners). Children are nodes or strings; strings become
// text nodes; null and false are skipped.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else {
      el[key] = value;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// replace makes children the only content of el.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// setText changes an element's text only when it differs, so that an
// update that changes nothing touches nothing.
export function setText(el, text) {
  const s = String(text);
  if (el.textContent !== s) el.textContent = s;
}

// age is how long ago t was, in the largest whole unit.
export function age(t, now = Date.now()) {
  const ms = now - Date.parse(t);
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

// when is a timestamp in the reader's time zone.
export function when(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

// clock is the time of day of t, for the live feed.
export function clock(t) {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString();
}

const integer = new Intl.NumberFormat();
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

// count is a whole number with the reader's digit grouping.
export function count(n) {
  return integer.format(n);
}

// perSecond is a rate: one decimal below 100, whole above.
export function perSecond(r) {
  return (r < 100 ? decimal.format(r) : integer.format(Math.round(r))) + '/s';
}

// bytes is a size in B, KiB or MiB.
export function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return decimal.format(n / 1024) + ' KiB';
  return decimal.format(n / 1024 / 1024) + ' MiB';
}

// clockMs is the time of day of t with milliseconds, for messages.
export function clockMs(t) {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

// The topic lists: one section per status, each sorted by name. The page
// keeps every topic in memory but renders at most a page of rows per open
// section, reuses the rows it already has and rebuilds only the rows whose
// topic changed, once per animation frame however many updates arrive.

import { h, setText, age } from './dom.js';

// STATUSES in lifecycle order, as the API names them.
export const STATUSES = ['pending', 'approved', 'active', 'inactive', 'deleted', 'rejected'];

// Sections closed until someone opens them: the ends of the lifecycle,
// which grow without bound.
const CLOSED_BY_DEFAULT = new Set(['inactive', 'deleted', 'rejected']);

// PAGE is how many rows a section shows before "show more".
const PAGE = 100;

// newer reports whether a is the same topic at a later state than b, so
// that an answer overtaken by a later one is not shown.
function newer(a, b) {
  if (a.generation !== b.generation) return a.generation > b.generation;
  return Date.parse(a.updated_at) >= Date.parse(b.updated_at);
}

// rowKey changes whenever something a row shows changes.
function rowKey(t) {
  return [t.status, t.partitions, t.replication_factor, t.requested_by, t.requested_at, t.error || ''].join('\u0000');
}

// search finds name in the sorted array: its index, or where it belongs.
function search(names, name) {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid] < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Section {
  constructor(status, view) {
    this.status = status;
    this.view = view;
    this.names = [];
    this.rows = new Map(); // name → {tr, key, ageCell}
    this.limit = PAGE;
    this.dirty = true;

    this.count = h('span', { className: 'count' }, '0');
    this.tbody = h('tbody');
    this.more = h('button', { type: 'button', className: 'more', hidden: true, on: { click: () => this.showMore() } });
    this.empty = h('p', { className: 'muted empty' });
    this.el = h('details', { className: 'section', open: !CLOSED_BY_DEFAULT.has(status), dataset: { status } },
      h('summary', null, h('span', { className: 'status-name' }, status), ' ', this.count),
      h('div', { className: 'table-wrap' },
        h('table', { className: 'topics' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'topic'),
            h('th', { scope: 'col', className: 'num' }, 'partitions'),
            h('th', { scope: 'col', className: 'num wide-only' }, 'replication'),
            h('th', { scope: 'col', className: 'wide-only' }, 'owner'),
            h('th', { scope: 'col', className: 'num' }, 'age'))),
          this.tbody)),
      this.empty, this.more);
    this.el.addEventListener('toggle', () => {
      this.dirty = true;
      this.view.schedule();
    });
  }

  add(name) {
    const i = search(this.names, name);
    if (this.names[i] !== name) this.names.splice(i, 0, name);
    this.dirty = true;
  }

  remove(name) {
    const i = search(this.names, name);
    if (this.names[i] === name) this.names.splice(i, 1);
    this.dirty = true;
  }

  showMore() {
    this.limit += PAGE;
    this.dirty = true;
    this.view.schedule();
  }

  render(filter, selected, now) {
    this.dirty = false;
    const match = filter ? this.names.filter((n) => n.toLowerCase().includes(filter)) : this.names;
    setText(this.count, filter ? match.length + ' of ' + this.names.length : this.names.length);
    if (!this.el.open) return;
    const visible = match.slice(0, this.limit);
    const keep = new Set(visible);
    for (const [name, row] of this.rows) {
      if (!keep.has(name)) {
        row.tr.remove();
        this.rows.delete(name);
      }
    }
    let prev = null;
    for (const name of visible) {
      const t = this.view.topics.get(name);
      let row = this.rows.get(name);
      if (!row) {
        row = { tr: h('tr', { dataset: { topic: name } }) };
        this.rows.set(name, row);
      }
      const key = rowKey(t);
      if (row.key !== key) this.fill(row, t, now);
      row.tr.classList.toggle('selected', name === selected);
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== row.tr) this.tbody.insertBefore(row.tr, want);
      prev = row.tr;
    }
    const hidden = match.length - visible.length;
    this.more.hidden = hidden <= 0;
    if (hidden > 0) setText(this.more, 'Show ' + Math.min(PAGE, hidden) + ' more (' + hidden + ' not shown)');
    this.empty.hidden = match.length > 0;
    if (match.length === 0) setText(this.empty, filter ? 'No ' + this.status + ' topic matches.' : 'No ' + this.status + ' topics.');
  }

  fill(row, t, now) {
    row.key = rowKey(t);
    row.ageCell = h('td', { className: 'num age', title: t.requested_at }, age(t.requested_at, now));
    row.since = t.requested_at;
    const name = h('button', { type: 'button', className: 'link', title: 'Show ' + t.name, on: { click: () => this.view.onSelect(t.name) } }, t.name);
    row.tr.replaceChildren(
      h('td', { className: 'name' }, name,
        t.error ? h('span', { className: 'badge error-badge', title: t.error }, 'error') : null),
      h('td', { className: 'num' }, t.partitions),
      h('td', { className: 'num wide-only' }, t.replication_factor),
      h('td', { className: 'wide-only owner' }, t.requested_by),
      row.ageCell);
    row.tr.classList.toggle('has-error', Boolean(t.error));
  }

  tickAges(now) {
    for (const row of this.rows.values()) setText(row.ageCell, age(row.since, now));
  }
}

// ATTENTION_MAX bounds the list of topics with an error.
const ATTENTION_MAX = 20;

// TopicsView holds every topic and shows them by status, and the topics
// the topic manager failed on above them.
export class TopicsView {
  constructor({ sections, summary, attention, onSelect }) {
    this.topics = new Map();
    this.failing = new Set();
    this.attention = attention;
    this.attentionDirty = true;
    this.onSelect = onSelect;
    this.filter = '';
    this.selected = null;
    this.frame = 0;
    this.sections = new Map();
    this.chips = new Map();
    for (const status of STATUSES) {
      const s = new Section(status, this);
      this.sections.set(status, s);
      sections.append(s.el);
      const count = h('span', { className: 'chip-count' }, '0');
      const chip = h('button', { type: 'button', className: 'chip', dataset: { status }, on: { click: () => this.reveal(status) } },
        h('span', null, status), ' ', count);
      this.chips.set(status, count);
      summary.append(chip);
    }
    setInterval(() => this.tickAges(), 30000);
  }

  get(name) {
    return this.topics.get(name);
  }

  // names lists the topics in status, sorted.
  names(status) {
    return [...(this.sections.get(status)?.names || [])];
  }

  // upsert stores t unless what is shown is already later; it reports
  // whether anything changed.
  upsert(t) {
    const old = this.topics.get(t.name);
    if (old && !newer(t, old)) return false;
    if (old && rowKey(old) === rowKey(t) && old.updated_at === t.updated_at && old.generation === t.generation) return false;
    this.topics.set(t.name, t);
    if (t.error || this.failing.has(t.name)) {
      if (t.error) this.failing.add(t.name);
      else this.failing.delete(t.name);
      this.attentionDirty = true;
    }
    if (old && old.status !== t.status) this.sections.get(old.status)?.remove(t.name);
    const s = this.sections.get(t.status);
    if (s) s.add(t.name);
    this.schedule();
    return true;
  }

  // replaceAll takes a full listing.
  replaceAll(list) {
    let changed = false;
    for (const t of list) changed = this.upsert(t) || changed;
    return changed;
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    for (const s of this.sections.values()) {
      s.limit = PAGE;
      s.dirty = true;
    }
    this.schedule();
  }

  setSelected(name) {
    this.selected = name;
    for (const s of this.sections.values()) {
      for (const [n, row] of s.rows) row.tr.classList.toggle('selected', n === name);
    }
  }

  reveal(status) {
    const s = this.sections.get(status);
    s.el.open = true;
    s.el.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }

  clear() {
    this.topics.clear();
    this.failing.clear();
    this.attentionDirty = true;
    for (const s of this.sections.values()) {
      s.names = [];
      s.dirty = true;
    }
    this.schedule();
  }

  // schedule renders on the next frame; any number of updates before it
  // cost one render.
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const now = Date.now();
    for (const [status, s] of this.sections) {
      if (s.dirty) s.render(this.filter, this.selected, now);
      setText(this.chips.get(status), s.names.length);
    }
    if (this.attentionDirty) this.renderAttention();
  }

  renderAttention() {
    this.attentionDirty = false;
    const names = [...this.failing].sort();
    const list = this.attention.querySelector('ul');
    list.replaceChildren(...names.slice(0, ATTENTION_MAX).map((name) => {
      const t = this.topics.get(name);
      return h('li', { dataset: { topic: name } },
        h('button', { type: 'button', className: 'link', on: { click: () => this.onSelect(name) } }, name),
        h('span', { className: 'badge status', dataset: { status: t.status } }, t.status), ' ',
        h('span', { className: 'attention-error' }, t.error));
    }));
    if (names.length > ATTENTION_MAX) list.append(h('li', { className: 'muted' }, 'and ' + (names.length - ATTENTION_MAX) + ' more'));
    this.attention.hidden = names.length === 0;
  }

  tickAges() {
    const now = Date.now();
    for (const s of this.sections.values()) s.tickAges(now);
  }
}

// Message rates: how many messages a second each active topic received,
// over the last few minutes, as a small chart per topic. The server reads
// Kafka's offsets every couple of seconds and sends each reading on the
// event stream ("rates"); the page keeps a short history per topic and
// draws the busiest topics once per animation frame.

import { h, setText, count, perSecond } from './dom.js';

// POINTS is how many readings a chart shows: three minutes at 2 s.
export const POINTS = 90;
// SHOWN bounds the charts drawn; the other topics are counted.
const SHOWN = 12;
// RECENT is how many of the newest readings rank the topics.
const RECENT = 5;

const W = POINTS - 1;
const H = 24;

export class RatesView {
  constructor({ list, summary, empty, onSelect }) {
    this.list = list;
    this.summary = summary;
    this.empty = empty;
    this.onSelect = onSelect;
    this.series = new Map(); // topic → {points: number[], produced, rate}
    this.rows = new Map(); // topic → row elements
    this.interval = 2;
    this.frame = 0;
    this.readings = 0;
  }

  // update takes one "rates" event.
  update(ev) {
    this.readings++;
    this.interval = ev.interval_seconds || this.interval;
    const listed = new Map((ev.topics || []).map((t) => [t.topic, t]));
    if (ev.full) {
      for (const name of this.series.keys()) if (!listed.has(name)) this.series.delete(name);
    }
    for (const name of ev.gone || []) this.series.delete(name);
    for (const [name, s] of this.series) {
      if (!listed.has(name)) push(s, 0);
    }
    for (const [name, t] of listed) {
      let s = this.series.get(name);
      if (!s) {
        s = { points: [], produced: 0, rate: 0 };
        this.series.set(name, s);
      }
      s.produced = t.produced;
      push(s, t.rate || 0);
    }
    this.schedule();
  }

  // seed starts the charts from the server's own readings (one every
  // interval seconds over the last hour, of the topics that received
  // messages in it), so that a page just opened shows the last minutes
  // too: a point of the chart is the mean of the readings within it, or
  // the reading that spans it. A topic the stream has charted already
  // gets, where the two overlap, the larger of the two rates: the
  // stream's first reading has none yet, and the slots of the two are not
  // aligned.
  seed(history, interval) {
    const now = Date.now();
    const slot = this.interval * 1000;
    for (const [name, readings] of Object.entries(history || {})) {
      const at = readings.map((r) => [Date.parse(r.at), r.rate]);
      const s = { points: [], produced: 0, rate: 0 };
      for (let i = POINTS - 1; i >= 0; i--) {
        const end = now - i * slot;
        const inside = at.filter(([t]) => t > end - slot && t <= end);
        const spanning = at.find(([t]) => t > end && t - interval * 1000 <= end);
        if (inside.length) push(s, inside.reduce((sum, [, r]) => sum + r, 0) / inside.length);
        else if (spanning) push(s, spanning[1]);
        else if (s.points.length) push(s, 0);
      }
      const charted = this.series.get(name);
      if (charted) {
        const merged = [];
        for (let k = Math.max(s.points.length, charted.points.length); k >= 1; k--) {
          merged.push(Math.max(s.points[s.points.length - k] || 0, charted.points[charted.points.length - k] || 0));
        }
        charted.points = merged.slice(-POINTS);
      } else if (s.points.length) {
        this.series.set(name, s);
      }
    }
    this.readings = Math.max(this.readings, 1);
    this.schedule();
  }

  clear() {
    this.series.clear();
    this.rows.clear();
    this.list.replaceChildren();
    this.readings = 0;
    setText(this.summary, '');
    this.empty.hidden = false;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    let total = 0;
    let produced = 0;
    const busy = [];
    for (const [name, s] of this.series) {
      total += s.rate;
      produced += s.produced;
      if (s.points.some((p) => p > 0)) busy.push([name, s, recent(s)]);
    }
    busy.sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? -1 : 1));
    const shown = busy.slice(0, SHOWN);
    const keep = new Set(shown.map(([name]) => name));
    for (const [name, row] of this.rows) {
      if (!keep.has(name)) {
        row.li.remove();
        this.rows.delete(name);
      }
    }
    let prev = null;
    for (const [name, s] of shown) {
      let row = this.rows.get(name);
      if (!row) {
        row = this.row(name);
        this.rows.set(name, row);
      }
      fill(row, s);
      const want = prev ? prev.nextSibling : this.list.firstChild;
      if (want !== row.li) this.list.insertBefore(row.li, want);
      prev = row.li;
    }
    const topics = this.series.size;
    const idle = topics - busy.length;
    const minutes = Math.round((POINTS * this.interval) / 60);
    const parts = [count(topics) + (topics === 1 ? ' active topic' : ' active topics'), perSecond(total) + ' in all', count(produced) + ' messages produced', 'charts show the last ' + minutes + ' minutes'];
    if (busy.length > SHOWN) parts.push((busy.length - SHOWN) + ' more busy topics not charted');
    if (idle > 0 && busy.length) parts.push(count(idle) + ' idle');
    setText(this.summary, this.readings ? parts.join(' · ') : '');
    this.empty.hidden = busy.length > 0;
    if (!busy.length) {
      setText(this.empty, !this.readings ? 'Waiting for the first reading…'
        : topics ? 'No active topic received messages in the last ' + minutes + ' minutes.'
          : 'No active topics.');
    }
  }

  row(name) {
    // The chart's elements come from a template in the page, which the
    // HTML parser has already put in the SVG namespace.
    const chart = document.getElementById('sparkline').content.firstElementChild.cloneNode(true);
    chart.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const base = chart.querySelector('.spark-base');
    // The baseline spans the whole window, so that a topic charted for
    // only a few readings still reads as the newest part of a timeline.
    for (const [k, v] of Object.entries({ x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5 })) base.setAttribute(k, String(v));
    const line = chart.querySelector('.spark-line');
    const area = chart.querySelector('.spark-area');
    const label = chart.querySelector('title');
    const rate = h('span', { className: 'rate num' });
    const produced = h('span', { className: 'produced muted num' });
    const li = h('li', { className: 'rate-row', dataset: { topic: name } },
      h('button', { type: 'button', className: 'link rate-topic', title: 'Show ' + name, on: { click: () => this.onSelect(name) } }, name),
      chart, rate, produced);
    return { li, line, area, label, rate, produced };
  }
}

function push(s, rate) {
  s.points.push(rate);
  if (s.points.length > POINTS) s.points.splice(0, s.points.length - POINTS);
  s.rate = rate;
}

function recent(s) {
  let sum = 0;
  for (const p of s.points.slice(-RECENT)) sum += p;
  return sum;
}

// fill draws a topic's chart, newest reading at the right edge, scaled to
// its own peak.
function fill(row, s) {
  const peak = Math.max(...s.points, 0);
  const offset = POINTS - s.points.length;
  const coords = s.points.map((p, i) => {
    const y = peak > 0 ? H - 1 - (p / peak) * (H - 2) : H - 1;
    return (offset + i) + ',' + y.toFixed(1);
  });
  const points = coords.join(' ');
  row.line.setAttribute('points', points);
  row.area.setAttribute('points', coords.length ? `${offset},${H} ${points} ${W},${H}` : '');
  setText(row.label, `peak ${perSecond(peak)} over the last ${s.points.length} readings`);
  setText(row.rate, perSecond(s.rate));
  setText(row.produced, count(s.produced));
  row.li.dataset.rate = String(s.rate);
  row.li.dataset.peak = String(peak);
  row.li.dataset.produced = String(s.produced);
}

// Subscriptions: which consumers subscribe to what, whether each
// subscription still holds, and each consumer's processes with whether
// they are alive. The page re-reads GET /api/v1/consumers when a
// SubscriptionChanged (or a topic leaving active) arrives on the event
// stream, and every few seconds while the tab is visible, because a
// process that dies silently is only noticed by its missing heartbeats.
// That periodic read sends the previous ETag and mostly gets 304.

import * as api from './api.js';
import { h, setText, count } from './dom.js';
import { behind } from './usage.js';

// POLL is the liveness re-read: processes report every 2 s and count as
// gone after 10 s of silence.
const POLL = 4000;
// SOON gathers a burst of subscription events into one read.
const SOON = 250;
// SHOWN bounds the consumers drawn.
const SHOWN = 100;

export class Subscriptions {
  constructor({ list, summary, empty, onSelect, onError }) {
    this.list = list;
    this.summary = summary;
    this.empty = empty;
    this.onSelect = onSelect;
    this.onError = onError;
    this.etag = '';
    this.timer = 0;
    this.due = 0;
    this.running = false;
    this.again = false;
    this.active = false;
    this.generation = 0;
    this.usage = null; // the latest usage reading, for the lag
    this.shown = null; // the consumers drawn last
    document.addEventListener('visibilitychange', () => {
      if (!this.active) return;
      if (document.hidden) this.cancel();
      else this.load();
    });
  }

  // start reads now and keeps reading while the tab is visible.
  start() {
    this.active = true;
    this.etag = '';
    this.load();
  }

  stop() {
    this.active = false;
    this.again = false;
    this.generation++;
    this.cancel();
    this.etag = '';
    this.list.replaceChildren();
    this.shown = null;
    this.usage = null;
    setText(this.summary, '');
    this.empty.hidden = false;
  }

  // changed asks for a read soon, after an event; a read already due
  // sooner stays, so a steady flow of events cannot postpone it.
  changed() {
    if (!this.active) return;
    if (this.timer && this.due <= Date.now() + SOON) return;
    this.later(SOON);
  }

  later(ms) {
    this.cancel();
    this.due = Date.now() + ms;
    this.timer = setTimeout(() => this.load(), ms);
  }

  cancel() {
    clearTimeout(this.timer);
    this.timer = 0;
  }

  async load() {
    this.cancel();
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    const gen = this.generation;
    try {
      const got = await api.consumers(this.etag);
      if (gen !== this.generation) return;
      if (got) {
        this.etag = got.etag;
        this.render(got.list);
      }
    } catch (err) {
      if (gen === this.generation) this.onError(err);
    } finally {
      this.running = false;
      if (this.active && this.again) {
        // Asked for while this read ran, maybe by a new session.
        this.again = false;
        this.load();
      } else if (this.active && gen === this.generation && !document.hidden && !this.timer) {
        this.later(POLL);
      }
    }
  }

  // setUsage takes a new usage reading and redraws the lag.
  setUsage(u) {
    this.usage = u;
    if (this.shown) this.render(this.shown);
  }

  render(consumers) {
    this.shown = consumers;
    const alive = consumers.filter((c) => c.instances.some((i) => i.alive)).length;
    setText(this.summary, consumers.length ? count(consumers.length) + (consumers.length === 1 ? ' consumer, ' : ' consumers, ') + count(alive) + ' running' : '');
    this.empty.hidden = consumers.length > 0;
    const items = consumers.slice(0, SHOWN).map((c) => this.consumer(c));
    if (consumers.length > SHOWN) items.push(h('li', { className: 'muted' }, 'and ' + count(consumers.length - SHOWN) + ' more consumers'));
    this.list.replaceChildren(...items);
  }

  // lag says how far behind a live subscription is, flagged when it falls
  // behind or nothing reads what waits.
  lag(consumer, topic) {
    const l = this.usage && this.usage.lag(consumer, topic);
    if (!l) return null;
    const text = !l.total ? 'caught up' : 'lag ' + count(l.total) + (l.seconds ? ' · ' + Math.round(l.seconds) + 's' : '');
    return h('span', { className: 'badge lag', dataset: { behind: String(behind(l)), lag: String(l.total) },
      title: l.state + ', ' + l.members + (l.members === 1 ? ' member' : ' members') }, text);
  }

  consumer(c) {
    const running = c.instances.filter((i) => i.alive);
    const state = running.length ? 'running' : 'not running';
    return h('li', { className: 'consumer', dataset: { consumer: c.id, alive: String(running.length > 0) } },
      h('div', { className: 'consumer-head' },
        h('strong', { className: 'consumer-id' }, c.id),
        h('span', { className: 'badge liveness', dataset: { alive: String(running.length > 0) } },
          running.length > 1 ? running.length + ' processes running' : state)),
      c.subscriptions.length
        ? h('ul', { className: 'subs' }, c.subscriptions.map((s) =>
          h('li', { className: 'sub', dataset: { topic: s.topic, live: String(s.live) } },
            h('button', { type: 'button', className: 'link', on: { click: () => this.onSelect(s.topic) } }, s.topic),
            h('span', { className: 'badge sub-state', dataset: { live: String(s.live) } },
              s.live ? 'live' : 'ended (' + (s.topic_status || 'topic gone') + ')'),
            s.from_beginning ? h('span', { className: 'muted' }, ' from the beginning') : null,
            s.live ? this.lag(c.id, s.topic) : null)))
        : h('p', { className: 'muted' }, 'No subscriptions.'),
      c.instances.length
        ? h('ul', { className: 'procs' }, c.instances.map((i) =>
          h('li', { className: 'proc', dataset: { pid: String(i.pid), alive: String(i.alive) } },
            h('span', { className: 'badge proc-state', dataset: { alive: String(i.alive) } }, i.alive ? 'alive' : 'silent'),
            ' ', h('code', null, i.host || '?'), ' pid ', String(i.pid),
            ' · ', i.attached.length ? ['consuming ', h('span', { className: 'attached' }, i.attached.join(', '))] : h('span', { className: 'muted' }, 'consuming nothing'))))
        : h('p', { className: 'muted' }, 'No process running.'));
  }
}

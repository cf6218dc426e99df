// The live messages of one active topic, newest first, as the API streams
// them from /api/v1/topics/{name}/messages: at most a few dozen a second,
// with counts of the ones it left out. Message values are whatever
// producers wrote, so they only ever reach the page as text nodes.

import { messagesPath, refusal } from './api.js';
import { h, setText, count, clockMs, bytes } from './dom.js';

// KEEP bounds the messages in the page (and held while paused).
export const KEEP = 200;

const IDLE = 'Choose an active topic to see its messages as they are produced.';

export class LiveMessages {
  constructor({ select, pause, status, stats, list, empty }) {
    this.select = select;
    this.pauseButton = pause;
    this.status = status;
    this.stats = stats;
    this.list = list;
    this.empty = empty;
    this.topic = '';
    this.source = null;
    this.generation = 0; // bumped on every new stream, so late callbacks are dropped
    this.pending = []; // items not yet in the page, oldest first
    this.frame = 0;
    this.paused = false;
    this.received = 0;
    this.skipped = 0;
    this.names = [];
    this.hiddenAway = false; // the stream was closed because the tab was hidden
    select.addEventListener('change', () => this.watch(select.value));
    pause.addEventListener('click', () => this.setPaused(!this.paused));
    // A hidden tab holds no stream: browsers allow a handful of
    // connections per server across all tabs, and the server stops
    // reading the topic once nobody watches.
    document.addEventListener('visibilitychange', () => {
      if (document.hidden && this.source) {
        this.close();
        this.hiddenAway = true;
        this.say('Paused while this tab is hidden.', 'idle');
      } else if (!document.hidden && this.hiddenAway && this.topic) {
        this.hiddenAway = false;
        this.add({ gap: true });
        this.connect(this.topic);
      }
    });
  }

  // setTopics offers the active topics; a topic being watched that left
  // active stays selected until its stream says so.
  setTopics(names) {
    if (names.length === this.names.length && names.every((n, i) => n === this.names[i])) return;
    this.names = names;
    const options = [h('option', { value: '' }, names.length ? 'choose an active topic' : 'no active topics')];
    for (const n of names) options.push(h('option', { value: n }, n));
    if (this.topic && !names.includes(this.topic)) options.push(h('option', { value: this.topic }, this.topic));
    this.select.replaceChildren(...options);
    this.select.value = this.topic;
  }

  // watch follows name, or nothing when name is empty.
  watch(name) {
    this.close();
    this.topic = name;
    this.select.value = name;
    this.pending = [];
    this.received = 0;
    this.skipped = 0;
    this.list.replaceChildren();
    this.setPaused(false);
    this.renderStats();
    this.empty.hidden = false;
    if (!name) {
      this.say(IDLE, 'idle');
      return;
    }
    this.connect(name);
  }

  // connect opens the stream of name, keeping what the page shows.
  connect(name) {
    this.close();
    this.say('Connecting to ' + name + '…', 'connecting');
    const gen = ++this.generation;
    const es = new EventSource(messagesPath(name));
    this.source = es;
    es.addEventListener('ready', (e) => {
      if (gen !== this.generation) return;
      let info = {};
      try {
        info = JSON.parse(e.data);
      } catch {
        info = {};
      }
      this.say('Following ' + name + ': newest first, at most ' + (info.max_per_second || '?') + ' a second.', 'live');
    });
    es.addEventListener('message', (e) => {
      if (gen !== this.generation) return;
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      this.received++;
      this.add({ message: m });
    });
    es.addEventListener('skipped', (e) => {
      if (gen !== this.generation) return;
      let s;
      try {
        s = JSON.parse(e.data);
      } catch {
        return;
      }
      const n = Number(s.skipped) || 0;
      this.skipped += n;
      this.add({ skipped: n });
    });
    es.addEventListener('end', (e) => {
      if (gen !== this.generation) return;
      let reason = 'The stream ended.';
      try {
        reason = JSON.parse(e.data).reason || reason;
      } catch {
        // keep the general reason
      }
      this.close();
      this.say(/[.!?]$/.test(reason) ? reason : reason + '.', 'ended');
    });
    es.addEventListener('error', async () => {
      if (gen !== this.generation) return;
      if (es.readyState !== EventSource.CLOSED) {
        this.say('Reconnecting to ' + name + '…', 'connecting');
        return;
      }
      // Refused before streaming: ask why, and say it.
      const why = await refusal(messagesPath(name));
      if (gen !== this.generation) return;
      if (!why) {
        setTimeout(() => {
          if (gen === this.generation) this.connect(name);
        }, 2000);
        return;
      }
      this.close();
      this.say(why.message, why.status === 401 ? 'signed-out' : 'ended');
    });
  }

  close() {
    this.hiddenAway = false;
    this.generation++;
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }

  // clear forgets everything, on signing out.
  clear() {
    this.close();
    this.topic = '';
    this.names = [];
    this.pending = [];
    this.list.replaceChildren();
    this.select.replaceChildren(h('option', { value: '' }, 'choose an active topic'));
    this.empty.hidden = false;
    this.say(IDLE, 'idle');
    this.received = 0;
    this.skipped = 0;
    this.renderStats();
  }

  say(text, state) {
    this.status.dataset.state = state;
    setText(this.status, text);
  }

  setPaused(paused) {
    this.paused = paused;
    setText(this.pauseButton, paused ? 'Resume' : 'Pause');
    this.pauseButton.setAttribute('aria-pressed', String(paused));
    if (!paused) this.schedule();
    this.renderStats();
  }

  add(item) {
    this.pending.push(item);
    // While paused, hold no more than the page would show.
    if (this.pending.length > KEEP * 2) this.pending.splice(0, this.pending.length - KEEP);
    this.schedule();
  }

  schedule() {
    if (this.frame || this.paused) {
      if (this.paused) this.renderStats();
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.flush();
    });
  }

  // flush puts what arrived since the last frame at the top, in one go.
  flush() {
    if (this.paused) return;
    const items = this.pending.splice(0).slice(-KEEP);
    if (items.length) {
      const nodes = [];
      for (let i = items.length - 1; i >= 0; i--) {
        const it = items[i];
        if (it.message) {
          nodes.push(messageItem(it.message));
          continue;
        }
        if (it.gap) {
          nodes.push(h('li', { className: 'skipped' }, '… messages sent while this tab was hidden are not shown'));
          continue;
        }
        // Consecutive skip counts read as one line.
        const prev = nodes[nodes.length - 1];
        if (prev && prev.dataset.skipped) {
          const n = Number(prev.dataset.skipped) + it.skipped;
          prev.dataset.skipped = String(n);
          setText(prev, skippedText(n));
        } else {
          nodes.push(h('li', { className: 'skipped', dataset: { skipped: String(it.skipped) } }, skippedText(it.skipped)));
        }
      }
      this.list.prepend(...nodes);
      while (this.list.childElementCount > KEEP) this.list.lastElementChild.remove();
    }
    this.empty.hidden = this.list.childElementCount > 0;
    this.renderStats();
  }

  renderStats() {
    const parts = [count(this.received) + ' shown'];
    if (this.skipped) parts.push(count(this.skipped) + ' skipped to keep up');
    if (this.paused) parts.push('paused: ' + count(this.pending.filter((i) => i.message).length) + ' waiting');
    setText(this.stats, this.topic ? parts.join(' · ') : '');
  }
}

function skippedText(n) {
  return '… ' + count(n) + (n === 1 ? ' message' : ' messages') + ' skipped';
}

function messageItem(m) {
  const from = m.producer || 'another Kafka client';
  const sent = m.sent_at || m.timestamp;
  return h('li', { className: 'message', dataset: { partition: String(m.partition), offset: String(m.offset) } },
    h('pre', { className: 'message-value' }, m.value, m.truncated ? h('span', { className: 'muted' }, ' … (' + bytes(m.size) + ' in all)') : null),
    h('div', { className: 'message-meta' },
      h('span', { className: 'producer', title: 'producer' }, from),
      ' · ',
      h('time', { dateTime: sent || '', title: sent || '' }, sent ? clockMs(sent) : 'no send time'),
      ' · ',
      h('span', { className: 'position' }, 'partition ' + m.partition + ', offset ' + m.offset),
      m.key ? [' · key ', h('code', { className: 'key' }, m.key)] : null));
}

// Trouble: poison messages (what no handler could process) and what the
// topic manager's last comparison of kds with Kafka found (orphans, and
// drift it repaired or could not). Both panels stay hidden while empty.
// They are re-read when an event hints at a change (CommandFailed for
// poison; TopicDriftRepaired and TopicImported for drift) and otherwise
// every half minute while the tab is visible: a reconciliation that finds
// only orphans, or a message poisoned without a failed command, sends no
// event.

import * as api from './api.js';
import { h, replace, setText, when } from './dom.js';

const SLOW = 30000;
// SETTLE waits for what an event announces to be recorded: the poison
// message after its handler gave up, the reconciliation after its pass.
const SETTLE = 1500;

export class Trouble {
  constructor({ poison, poisonList, poisonCount, drift, driftList, driftSummary, isAdmin, onSelect, onError }) {
    Object.assign(this, { poison, poisonList, poisonCount, drift, driftList, driftSummary, isAdmin, onSelect, onError });
    this.timer = 0;
    this.requeued = new Set();
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.timer) this.load();
    });
  }

  // start reads both panels and keeps them current.
  start() {
    this.load();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.poison.hidden = true;
    this.drift.hidden = true;
  }

  // event reacts to a lifecycle event that may change a panel.
  event(ev) {
    if (ev.type === 'CommandFailed' || ev.type === 'TopicDriftRepaired' || ev.type === 'TopicImported') {
      this.later(SETTLE);
    }
  }

  later(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), ms);
  }

  async load() {
    this.later(SLOW);
    if (document.hidden) return;
    await Promise.all([this.loadPoison(), this.loadDrift()]);
  }

  async loadPoison() {
    try {
      this.renderPoison(await api.poison());
    } catch (err) {
      this.onError(err);
    }
  }

  async loadDrift() {
    try {
      this.renderDrift(await api.drift());
    } catch (err) {
      if (err.status === 404) {
        this.drift.hidden = true; // no reconciliation has run yet
        return;
      }
      this.onError(err);
    }
  }

  renderPoison(list) {
    this.poison.hidden = list.length === 0;
    setText(this.poisonCount, String(list.length));
    replace(this.poisonList, ...list.slice().reverse().slice(0, 50).map((m) => this.poisonItem(m)));
  }

  poisonItem(m) {
    let action = null;
    if (this.isAdmin()) {
      const done = this.requeued.has(m.id);
      action = h('button', { type: 'button', className: 'small requeue', disabled: done, on: { click: (e) => this.requeue(m, e.target) } },
        done ? 'requeued' : 'Requeue');
    }
    return h('li', { className: 'trouble-item', dataset: { id: m.id } },
      h('div', null,
        h('time', { dateTime: m.at || '' }, when(m.at)), ' ',
        m.key ? h('button', { type: 'button', className: 'link', on: { click: () => this.onSelect(m.key) } }, m.key) : null,
        h('span', { className: 'muted' }, ' from ', m.topic || '?', ' · ', m.handler || '?'), ' ', action),
      h('div', { className: 'error' }, m.reason || ''));
  }

  async requeue(m, button) {
    button.disabled = true;
    try {
      await api.requeuePoison(m.id);
      this.requeued.add(m.id);
      setText(button, 'requeued');
    } catch (err) {
      button.disabled = false;
      this.onError(err);
      setText(button, 'Requeue (failed: ' + err.message + ')');
    }
  }

  renderDrift(r) {
    const findings = r.findings || [];
    this.drift.hidden = findings.length === 0;
    setText(this.driftSummary, 'Last compared ' + when(r.finished_at) + ', ' + r.checked + ' topics.');
    replace(this.driftList, ...findings.slice(0, 100).map((f) => h('li', { className: 'trouble-item', dataset: { kind: f.kind } },
      h('div', null,
        h('button', { type: 'button', className: 'link', on: { click: () => this.onSelect(f.topic) } }, f.topic), ' ',
        h('span', { className: 'badge' }, f.kind), ' ',
        h('span', { className: f.error ? 'error' : 'muted' }, f.error ? 'repair failed: ' + f.error : f.repaired ? 'repaired' : 'reported')),
      h('div', { className: 'reason' }, f.detail || ''))));
  }
}

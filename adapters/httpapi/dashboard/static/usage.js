// Usage: what every active topic holds and how far behind each live
// subscription is. The api process reads Kafka every few seconds whether
// a page looks or not (GET /api/v1/usage); the page reads that reading at
// the same pace while the tab is visible, so a thousand pages cost Kafka
// nothing more. A subscription is behind when its oldest unread message is
// older than BEHIND_SECONDS, or when it has unread messages and no process
// reads them.

import * as api from './api.js';

export const BEHIND_SECONDS = 60;

export function behind(lag) {
  return !!lag && lag.total > 0 && (lag.seconds > BEHIND_SECONDS || lag.members === 0);
}

export class Usage {
  constructor({ onChange, onError }) {
    this.onChange = onChange;
    this.onError = onError;
    this.topics = new Map(); // topic → usage
    this.lags = new Map(); // consumer + '\0' + topic → lag
    this.history = null; // topic → points, from the first read only
    this.interval = 10;
    this.timer = 0;
    this.active = false;
    this.generation = 0;
    document.addEventListener('visibilitychange', () => {
      if (this.active && !document.hidden && !this.timer) this.load(this.history === null);
    });
  }

  start() {
    this.active = true;
    this.load(true);
  }

  stop() {
    this.active = false;
    this.generation++;
    clearTimeout(this.timer);
    this.timer = 0;
    this.topics.clear();
    this.lags.clear();
    this.history = null;
  }

  lag(consumer, topic) {
    return this.lags.get(consumer + '\0' + topic);
  }

  async load(withHistory) {
    clearTimeout(this.timer);
    this.timer = 0;
    const gen = this.generation;
    try {
      const r = await api.usage(withHistory);
      if (gen !== this.generation) return;
      this.interval = r.interval_seconds || this.interval;
      this.topics = new Map((r.topics || []).map((t) => [t.topic, t]));
      this.lags = new Map((r.subscriptions || []).map((l) => [l.consumer + '\0' + l.topic, l]));
      if (withHistory) this.history = r.history || {};
      this.onChange(this);
    } catch (err) {
      if (gen === this.generation) this.onError(err);
    } finally {
      if (this.active && gen === this.generation && !document.hidden) {
        this.timer = setTimeout(() => this.load(this.history === null), this.interval * 1000);
      }
    }
  }
}

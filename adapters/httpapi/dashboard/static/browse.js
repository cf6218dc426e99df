// The message browser: a page of an active topic's messages at a time,
// from offsets, from a time or the newest, filtered by key or text (GET
// /api/v1/topics/{name}/records). The server reads them without a
// consumer group. Every value is shown as text; JSON is pretty-printed.

import * as api from './api.js';
import { h, replace, setText, bytes } from './dom.js';

export class Browser {
  constructor({ form, topic, from, offset, key, grep, status, list, next, newest }) {
    Object.assign(this, { form, topic, from, offset, key, grep, status, list, next, newest });
    this.generation = 0;
    this.nextOffsets = '';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.read({});
    });
    next.addEventListener('click', () => this.read({ offset: this.nextOffsets }));
    newest.addEventListener('click', () => {
      this.from.value = '';
      this.offset.value = '';
      this.read({});
    });
  }

  // setTopics offers the active topics, keeping the one chosen.
  setTopics(names) {
    const chosen = this.topic.value;
    const options = [h('option', { value: '' }, 'choose an active topic')].concat(names.map((n) => h('option', { value: n }, n)));
    replace(this.topic, ...options);
    this.topic.value = names.includes(chosen) ? chosen : '';
  }

  // show opens the browser on a topic, at its newest messages.
  show(name) {
    if (![...this.topic.options].some((o) => o.value === name)) this.topic.append(h('option', { value: name }, name));
    this.topic.value = name;
    this.read({});
  }

  clear() {
    this.generation++;
    this.list.replaceChildren();
    setText(this.status, '');
    this.next.hidden = true;
  }

  async read(override) {
    const name = this.topic.value;
    if (!name) {
      setText(this.status, 'Choose a topic.');
      return;
    }
    const params = { limit: '50' };
    const from = this.from.value ? new Date(this.from.value) : null;
    if (override.offset) params.offset = override.offset;
    else if (this.offset.value.trim()) params.offset = this.offset.value.trim();
    else if (from && !Number.isNaN(from.getTime())) params.from = from.toISOString();
    if (this.key.value !== '') params.key = this.key.value;
    if (this.grep.value !== '') params.grep = this.grep.value;
    const gen = ++this.generation;
    this.status.dataset.state = 'loading';
    setText(this.status, 'Reading ' + name + '…');
    try {
      const page = await api.records(name, params);
      if (gen !== this.generation) return;
      this.nextOffsets = page.next;
      this.list.replaceChildren(...page.records.map(record));
      this.next.hidden = page.at_end;
      this.status.dataset.state = 'done';
      setText(this.status, page.records.length + (page.records.length === 1 ? ' message' : ' messages') + ' of ' + page.scanned + ' read' + (page.at_end ? ', up to the newest.' : '; more after ' + page.next + '.'));
    } catch (err) {
      if (gen !== this.generation) return;
      this.status.dataset.state = 'error';
      setText(this.status, err.message);
    }
  }
}

// record shows one message: where and when, its key and headers, and its
// value as text, pretty-printed when it is JSON.
function record(r) {
  return h('li', { className: 'record', dataset: { partition: String(r.partition), offset: String(r.offset) } },
    h('div', { className: 'record-head' },
      h('span', { className: 'num' }, 'partition ' + r.partition + ' · offset ' + r.offset), ' ',
      h('time', { dateTime: r.timestamp }, new Date(r.timestamp).toLocaleString()),
      r.key || r.key_encoding ? h('span', { className: 'record-key' }, ' key ', h('code', null, encoded(r.key, r.key_encoding))) : null,
      ' ', h('span', { className: 'muted' }, bytes(r.size) + (r.truncated ? ', cut' : ''))),
    (r.headers || []).length ? h('ul', { className: 'record-headers' }, r.headers.map((x) => h('li', null, h('code', null, x.key + ': ' + x.value)))) : null,
    h('pre', { className: 'record-value', dataset: { json: String(isJSON(r)) } }, pretty(r)));
}

function encoded(s, encoding) {
  return encoding ? '(' + encoding + ') ' + s : s;
}

function isJSON(r) {
  if (r.value_encoding) return false;
  const t = r.value.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}

// pretty is a value as text: JSON indented, control characters other than
// newlines and tabs written as escapes, so that nothing hides in it.
function pretty(r) {
  const text = isJSON(r) ? JSON.stringify(JSON.parse(r.value), null, 2) : encoded(r.value, r.value_encoding);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

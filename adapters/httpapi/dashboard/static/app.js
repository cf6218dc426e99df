// kds dashboard: topics by status, a topic's details and history, the live
// event feed, and the admin's decisions; the content flowing through the
// topics: a topic's live messages, message rates as charts, and who
// subscribes. Topics are not polled: the page lists them once per
// connection to /api/v1/events and then re-reads only the topics that
// events name, a few times a second at most. Only the consumers' liveness
// is re-read on a timer (subscriptions.js).

import * as api from './api.js';
import { h, replace, setText, when, clock, count, bytes, perSecond, age } from './dom.js';
import { TopicsView } from './topics.js';
import { LiveMessages } from './live.js';
import { RatesView } from './rates.js';
import { Subscriptions } from './subscriptions.js';
import { Trouble } from './trouble.js';
import { Usage, behind } from './usage.js';
import { Browser } from './browse.js';
import { hourChart } from './charts.js';

const $ = (id) => document.getElementById(id);

// Throttling of re-reads: at most one round per REFRESH_INTERVAL, or per
// BUSY_INTERVAL after a round of more than BUSY_ABOVE topics, so that a
// burst of events gathers into few rounds; a round with more than
// FULL_REFRESH_ABOVE topics reads the whole list instead.
const REFRESH_INTERVAL = 200;
const BUSY_INTERVAL = 1000;
const BUSY_ABOVE = 5;
const FULL_REFRESH_ABOVE = 25;
// FEED_SIZE bounds the live feed; RECENT_COMMANDS is how many of the
// latest commands fill it when the page opens.
const FEED_SIZE = 100;
const RECENT_COMMANDS = 30;

const state = {
  who: null,
  selected: null,
  history: null,
  access: null,
  historyFor: null,
  notice: null, // {topic, text, kind}
  draft: { topic: null, reason: '' }, // a rejection reason being typed
  detailKey: '', // what the details show, to redraw only on a change
  busy: false, // an admin action is under way
  dirty: new Set(),
  all: false, // the next round reads the whole list
  timer: 0,
  running: false,
  lastRound: 0,
  interval: REFRESH_INTERVAL, // before the next round
  generation: 0, // bumped on sign-out, so late answers are dropped
};

const view = new TopicsView({ sections: $('sections'), summary: $('summary'), attention: $('attention'), onSelect: select });
const live = new LiveMessages({ select: $('live-topic'), pause: $('live-pause'), status: $('live-status'), stats: $('live-stats'), list: $('live-list'), empty: $('live-empty') });
const rates = new RatesView({ list: $('rates-list'), summary: $('rates-summary'), empty: $('rates-empty'), onSelect: select });
const subscriptions = new Subscriptions({ list: $('subs-list'), summary: $('subs-summary'), empty: $('subs-empty'), onSelect: select, onError: failed });
const trouble = new Trouble({
  poison: $('poison'), poisonList: $('poison-list'), poisonCount: $('poison-count'),
  drift: $('drift'), driftList: $('drift-list'), driftSummary: $('drift-summary'),
  isAdmin: () => !!state.who && state.who.role === 'admin', onSelect: select, onError: failed,
});
const browser = new Browser({
  form: $('browse-form'), topic: $('browse-topic'), from: $('browse-from'), offset: $('browse-offset'), key: $('browse-key'),
  grep: $('browse-grep'), status: $('browse-status'), list: $('browse-list'), next: $('browse-next'), newest: $('browse-newest'),
});
const usage = new Usage({
  onChange: (u) => {
    subscriptions.setUsage(u);
    if (u.history && !state.seeded) {
      state.seeded = true;
      rates.seed(u.history, u.interval);
    }
    renderDetail();
  },
  onError: failed,
});
const stream = new api.Stream({
  onEvent,
  onRates: (r) => rates.update(r),
  onState: connection,
  onOpen: () => {
    refreshAll();
    fillFeed();
    subscriptions.changed();
    trouble.start();
  },
});

// ---- re-reading topics

function markDirty(name) {
  state.dirty.add(name);
  scheduleRound();
}

function refreshAll() {
  state.all = true;
  scheduleRound();
}

function scheduleRound() {
  if (state.timer || state.running) return;
  const wait = Math.max(0, state.lastRound + state.interval - Date.now());
  state.timer = setTimeout(round, wait);
}

async function round() {
  state.timer = 0;
  state.running = true;
  state.lastRound = Date.now();
  const gen = state.generation;
  const names = [...state.dirty];
  const all = state.all || names.length > FULL_REFRESH_ABOVE;
  state.dirty.clear();
  state.all = false;
  state.interval = names.length > BUSY_ABOVE ? BUSY_INTERVAL : REFRESH_INTERVAL;
  try {
    if (all) {
      const list = await api.topics();
      if (gen !== state.generation) return;
      view.replaceAll(list);
      document.documentElement.dataset.loaded = 'true';
    } else {
      await Promise.all(names.map((n) => refreshTopic(n, gen)));
    }
    if (gen === state.generation) {
      live.setTopics(view.names('active'));
      browser.setTopics(view.names('active'));
      renderPending();
    }
    if (state.selected && (all || names.includes(state.selected))) await loadHistory(state.selected, gen);
    renderDetail();
  } catch (err) {
    failed(err);
    // Read everything again once the API answers; the stream, when it
    // reconnects, asks for that too.
    state.all = true;
    state.interval = BUSY_INTERVAL;
  } finally {
    state.running = false;
    if (state.dirty.size || state.all) scheduleRound();
  }
}

async function refreshTopic(name, gen) {
  try {
    const t = await api.topic(name);
    if (gen === state.generation) view.upsert(t);
  } catch (err) {
    if (err.status !== 404) throw err;
  }
}

async function loadHistory(name, gen) {
  const [h, grants] = await Promise.all([api.history(name), api.access()]);
  if (gen !== state.generation || state.selected !== name) return;
  state.history = h;
  state.historyFor = name;
  state.access = grants ? (grants[name] || []) : null;
}

// whoMay lists the principals granted op on the topic itself, or null
// where kds does not keep Kafka's ACLs.
function whoMay(op) {
  if (!state.access) return null;
  const who = [...new Set(state.access.filter((g) => g.resource === 'topic' && g.operation === op).map((g) => g.principal))];
  return who.length ? who.join(', ') : 'nobody';
}

// failed handles an error from a read: a lost session shows the sign-in.
function failed(err) {
  if (err.status === 401) {
    sessionEnded('Your session has ended; sign in again.');
    return;
  }
  console.warn('kds:', err.message);
}

// ---- live events

function onEvent(ev) {
  feed.add(ev);
  // Other panels may follow the same stream without opening another.
  document.dispatchEvent(new CustomEvent('kds:event', { detail: ev }));
  if (ev.topic) markDirty(ev.topic);
  // Subscriptions end with their topic's generation.
  if (['SubscriptionChanged', 'TopicActivated', 'TopicDeactivated', 'TopicDeleted'].includes(ev.type)) subscriptions.changed();
  trouble.event(ev);
}

function connection(s) {
  const el = $('connection');
  el.dataset.state = s;
  setText(el, s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting…' : 'offline');
  if (s === 'closed' && state.who) {
    // The server refused the stream. A lost session shows the sign-in;
    // anything else is tried again in a while.
    const gen = state.generation;
    const retry = () => setTimeout(() => {
      if (gen === state.generation) stream.open();
    }, 3000);
    api.whoami().then(retry, (err) => (err.status === 401 ? failed(err) : retry()));
  }
}

const feed = {
  pending: [],
  frame: 0,
  add(ev) {
    this.pending.push(ev);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  },
  flush() {
    this.frame = 0;
    const list = $('feed');
    const fresh = this.pending.splice(0).slice(-FEED_SIZE);
    const nodes = fresh.reverse().map(feedItem);
    list.prepend(...nodes);
    while (list.childElementCount > FEED_SIZE) list.lastElementChild.remove();
    $('feed-empty').hidden = list.childElementCount > 0;
  },
  clear() {
    this.pending = [];
    $('feed').replaceChildren();
    $('feed-empty').hidden = false;
  },
};

// fillFeed starts an empty feed with the latest commands as MySQL has
// them, each with who issued it and what became of it, so the page opens
// with what happened before it.
async function fillFeed() {
  if ($('feed').childElementCount || feed.pending.length) return;
  const gen = state.generation;
  try {
    const cmds = await api.recentCommands(RECENT_COMMANDS);
    if (gen !== state.generation || $('feed').childElementCount) return;
    const items = cmds.map(commandItem);
    $('feed').replaceChildren(...items);
    $('feed-empty').hidden = items.length > 0;
  } catch (err) {
    failed(err);
  }
}

const commandVerbs = {
  RequestTopic: 'requested', ApproveTopic: 'approved', RejectTopic: 'rejected', DeactivateTopic: 'deactivated',
  UpdateTopic: 'updated', ActivateTopic: 'created in Kafka', DeleteTopic: 'deleted from Kafka', UpdateTopicInKafka: 'changed in Kafka',
};

function commandItem(c) {
  const failedCmd = c.status === 'rejected' || c.status === 'failed';
  return h('li', { className: failedCmd ? 'feed-item failed' : 'feed-item', dataset: { command: c.type || '', source: 'history' } },
    h('time', { dateTime: c.issued_at || '', title: when(c.issued_at) }, clock(c.issued_at)), ' ',
    c.topic ? h('button', { type: 'button', className: 'link', on: { click: () => select(c.topic) } }, c.topic) : null, ' ',
    h('span', { className: 'event-type' }, commandVerbs[c.type] || c.type), ' ',
    h('span', { className: 'muted' }, 'by ', c.actor),
    c.status !== 'applied' ? h('span', { className: 'badge command-status', dataset: { status: c.status } }, c.status) : null,
    c.error ? h('div', { className: 'error' }, c.error) : null,
    c.reason ? h('div', { className: 'reason' }, c.reason) : null);
}

function feedItem(ev) {
  const failedEv = ev.type === 'CommandRejected' || ev.type === 'CommandFailed';
  return h('li', { className: failedEv ? 'feed-item failed' : 'feed-item', dataset: { type: ev.type || '' } },
    h('time', { dateTime: ev.at || '' }, clock(ev.at)), ' ',
    h('span', { className: 'event-type' }, ev.type || 'event'), ' ',
    ev.topic ? h('button', { type: 'button', className: 'link', on: { click: () => select(ev.topic) } }, ev.topic) : null,
    ev.status ? h('span', { className: 'badge status', dataset: { status: ev.status } }, ev.status) : null,
    ev.actor ? h('span', { className: 'muted' }, ' by ', ev.actor) : null,
    ev.error ? h('div', { className: 'error' }, ev.error) : null,
    ev.reason ? h('div', { className: 'reason' }, ev.reason) : null);
}

// ---- the selected topic

// narrow is the one-column layout of app.css.
const narrow = matchMedia('(max-width: 900px)');

function select(name) {
  if (state.selected !== name) {
    state.selected = name;
    state.history = null;
    state.historyFor = null;
  }
  view.setSelected(name);
  renderDetail();
  markDirty(name);
  // In one column the details are below the lists: bring them into view.
  if (narrow.matches) $('detail').scrollIntoView({ block: 'start' });
}


// renderDetail redraws the details when what they show changed, keeping
// a rejection reason being typed and the focus in it.
function renderDetail() {
  const el = $('detail');
  const name = state.selected;
  if (!name) return;
  const t = view.get(name);
  const key = JSON.stringify([name, t, state.historyFor === name ? [state.history, state.access] : null, state.notice, state.busy, state.who && state.who.role,
    usage.topics.get(name), state.usageFor === name ? state.topicUsage : null]);
  if (key === state.detailKey) return;
  state.detailKey = key;
  if (!t) {
    replace(el, h('h2', null, name), h('p', { className: 'muted' }, 'Loading…'));
    return;
  }
  const typing = document.activeElement && document.activeElement.id === 'reject-reason';
  drawDetail(el, t);
  const input = $('reject-reason');
  if (typing && input) {
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }
}

function drawDetail(el, t) {
  const name = t.name;
  const configs = Object.entries(t.configs || {}).sort(([a], [b]) => (a < b ? -1 : 1));
  replace(el,
    h('div', { className: 'detail-head' },
      h('h2', { className: 'topic-name' }, t.name),
      h('span', { className: 'badge status', dataset: { status: t.status } }, t.status),
      h('span', { className: 'muted' }, ' generation ', t.generation)),
    t.error ? h('div', { className: 'topic-error', role: 'alert' },
      h('strong', null, 'The topic manager could not carry out the last decision: '), t.error) : null,
    h('dl', { className: 'facts' },
      fact('partitions', t.partitions),
      fact('replication factor', t.replication_factor),
      fact('owner', t.owner || t.requested_by),
      t.producers ? fact('producers', t.producers.join(', ')) : null,
      t.consumers ? fact('consumers', t.consumers.join(', ')) : null,
      state.historyFor === name && whoMay('WRITE') ? fact('may write (Kafka)', whoMay('WRITE')) : null,
      state.historyFor === name && whoMay('READ') ? fact('may read (Kafka)', whoMay('READ')) : null,
      fact('requested', when(t.requested_at)),
      fact('updated', when(t.updated_at)),
      fact('configs', configs.length ? h('ul', { className: 'configs' }, configs.map(([k, v]) => h('li', null, h('code', null, k + '=' + v)))) : 'defaults')),
    adminControls(t),
    t.status === 'active' ? usageBlock(name) : null,
    t.status === 'active' ? h('div', { className: 'content-actions' },
      h('button', { id: 'watch', type: 'button', on: { click: () => watch(name) } }, 'Watch live messages'),
      h('button', { id: 'browse-topic-button', type: 'button', on: { click: () => browseTopic(name) } }, 'Browse messages')) : null,
    state.notice && state.notice.topic === name ? h('p', { className: 'notice ' + state.notice.kind, role: 'status' }, state.notice.text) : null,
    historyTable(name));
}

// usageBlock shows what an active topic holds, per partition, how far
// behind its subscriptions are, and the last hour as charts, from the
// server's readings.
function usageBlock(name) {
  const u = state.usageFor === name && state.topicUsage ? state.topicUsage : usage.topics.get(name);
  if (state.usageFor !== name) loadTopicUsage(name);
  if (!u) return h('p', { id: 'usage', className: 'muted' }, 'Reading what the topic holds…');
  const subs = (state.usageFor === name && state.topicUsage && state.topicUsage.subscriptions) || [];
  const points = (state.usageFor === name && state.topicUsage && state.topicUsage.history) || [];
  return h('div', { id: 'usage', className: 'usage' },
    h('h3', null, 'What it holds'),
    h('dl', { className: 'facts' },
      fact('messages', h('span', { id: 'usage-messages', className: 'num' }, count(u.messages) + ' kept, ' + count(u.produced) + ' written')),
      fact('size', h('span', { id: 'usage-bytes', className: 'num' }, u.bytes < 0 ? 'unknown' : bytes(u.bytes))),
      fact('rate', perSecond(u.rate || 0)),
      fact('last message', u.last_message_at ? h('time', { id: 'usage-last', dateTime: u.last_message_at, title: when(u.last_message_at) }, age(u.last_message_at) + ' ago') : 'none')),
    h('table', { className: 'partitions' },
      h('thead', null, h('tr', null, ['partition', 'oldest', 'newest', 'messages', 'size', 'last message'].map((c) => h('th', null, c)))),
      h('tbody', null, (u.partitions || []).map((p) => h('tr', { dataset: { partition: String(p.partition) } },
        h('td', { className: 'num' }, String(p.partition)), h('td', { className: 'num' }, count(p.earliest)), h('td', { className: 'num' }, count(p.latest)),
        h('td', { className: 'num' }, count(p.latest - p.earliest)), h('td', { className: 'num' }, p.bytes < 0 ? '?' : bytes(p.bytes)),
        h('td', null, p.last_message_at ? age(p.last_message_at) + ' ago' : '–'))))),
    subs.length ? h('ul', { className: 'lags' }, subs.map((l) => h('li', { className: 'lag', dataset: { consumer: l.consumer, behind: String(behind(l)) } },
      h('strong', null, l.consumer), ' ', lagText(l), ' · ', l.state, ', ', String(l.members), l.members === 1 ? ' member' : ' members'))) : null,
    points.length > 1 ? h('div', { className: 'hour-charts' },
      hourChart('messages/s, last hour', points.map((p) => p.rate), perSecond),
      hourChart('lag (messages), last hour', points.map((p) => p.lag), count)) : null);
}

function lagText(l) {
  if (!l.total) return 'caught up';
  return 'behind by ' + count(l.total) + (l.seconds ? ' (' + Math.round(l.seconds) + 's)' : '');
}

async function loadTopicUsage(name) {
  state.usageFor = name;
  state.topicUsage = null;
  const gen = state.generation;
  try {
    const u = await api.topicUsage(name);
    if (gen !== state.generation || state.usageFor !== name) return;
    state.topicUsage = u;
    renderDetail();
  } catch (err) {
    if (err.status !== 409 && err.status !== 404) failed(err);
  }
}

// browseTopic opens the message browser on a topic.
function browseTopic(name) {
  browser.show(name);
  $('browse').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

// ---- the pending queue

// renderPending lists the requests waiting for an admin, each with its
// approve and reject in place.
function renderPending() {
  const panel = $('pending');
  const admin = !!state.who && state.who.role === 'admin';
  const names = admin ? view.names('pending') : [];
  const key = JSON.stringify([names.slice(0, 50).map((n) => view.get(n)), names.length, state.busy]);
  if (key === state.pendingKey) return;
  state.pendingKey = key;
  panel.hidden = names.length === 0;
  setText($('pending-count'), names.length ? count(names.length) : '');
  replace($('pending-list'), ...names.slice(0, 50).map((name) => {
    const t = view.get(name);
    const reason = h('input', { type: 'text', className: 'pending-reason', placeholder: 'reason for rejecting', maxLength: 1000, autocomplete: 'off' });
    const reject = h('button', { type: 'button', className: 'danger pending-reject', disabled: true, on: { click: () => decideInQueue(name, 'reject', reason.value.trim()) } }, 'Reject');
    reason.addEventListener('input', () => { reject.disabled = state.busy || reason.value.trim() === ''; });
    return h('li', { className: 'pending-item', dataset: { topic: name } },
      h('button', { type: 'button', className: 'link', on: { click: () => select(name) } }, name),
      h('span', { className: 'muted' }, ' by ', t ? t.requested_by : '?', t ? ' · ' + t.partitions + (t.partitions === 1 ? ' partition' : ' partitions') : ''), ' ',
      h('button', { type: 'button', className: 'primary pending-approve', disabled: state.busy, on: { click: () => decideInQueue(name, 'approve') } }, 'Approve'),
      reason, reject);
  }));
}

function decideInQueue(name, action, reason) {
  select(name);
  decide(name, action, reason);
}

// watch follows a topic's messages and brings them into view.
function watch(name) {
  if (live.topic !== name || !live.source) live.watch(name);
  $('live').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

function fact(term, value) {
  return [h('dt', null, term), h('dd', null, value)];
}

function historyTable(name) {
  const rows = state.historyFor === name ? state.history : null;
  if (!rows) return h('p', { className: 'muted' }, 'Loading history…');
  // Newest first; every transition of every generation.
  return h('div', { className: 'history' },
    h('h3', null, 'History'),
    h('ol', { id: 'history', className: 'history-list' }, rows.slice().reverse().map((tr) =>
      h('li', { dataset: { action: tr.action }, title: 'command ' + tr.command_id },
        h('div', { className: 'history-line' },
          h('time', { dateTime: tr.at, title: tr.at }, when(tr.at)), ' ',
          h('span', { className: 'action' }, tr.action), ' ',
          h('span', { className: 'move' }, (tr.from || '·') + ' → ' + tr.to), ' ',
          h('span', { className: 'actor' }, 'by ', tr.actor), ' ',
          h('span', { className: 'muted' }, 'generation ', tr.generation)),
        tr.reason ? h('div', { className: 'reason' }, tr.reason) : null))));
}

// ---- admin decisions

function adminControls(t) {
  if (!state.who || state.who.role !== 'admin') return null;
  if (t.status === 'pending') {
    const draft = state.draft.topic === t.name ? state.draft.reason : '';
    const reason = h('input', { id: 'reject-reason', type: 'text', placeholder: 'reason for rejecting', maxLength: 1000, autocomplete: 'off', value: draft });
    const reject = h('button', { id: 'reject', type: 'button', className: 'danger', disabled: state.busy || draft.trim() === '' },
      'Reject');
    reason.addEventListener('input', () => {
      state.draft = { topic: t.name, reason: reason.value };
      reject.disabled = state.busy || reason.value.trim() === '';
    });
    reject.addEventListener('click', () => decide(t.name, 'reject', reason.value.trim()));
    return h('div', { className: 'admin-actions' },
      h('button', { id: 'approve', type: 'button', className: 'primary', disabled: state.busy, on: { click: () => decide(t.name, 'approve') } }, 'Approve'),
      h('span', { className: 'reject-group' }, reason, reject));
  }
  if (t.status === 'active') {
    return h('div', { className: 'admin-actions' },
      h('button', { id: 'deactivate', type: 'button', className: 'danger', disabled: state.busy, on: { click: () => confirmDeactivate(t.name) } }, 'Deactivate…'));
  }
  return null;
}

const pastTense = { approve: 'approved', reject: 'rejected', deactivate: 'deactivated' };

async function decide(name, action, reason) {
  if (state.busy) return;
  state.busy = true;
  notice(name, action + '…', 'info');
  try {
    const { command } = await api.decide(name, action, reason);
    notice(name, action + ' queued as command ' + command.command_id + '…', 'info');
    const done = await api.awaitCommand(command.command_id);
    if (done.status === 'applied') {
      if (action === 'reject') state.draft = { topic: null, reason: '' };
      notice(name, name + ' ' + pastTense[action] + '.', 'ok');
    }
    else if (done.status === 'queued') notice(name, action + ' is still queued; the page updates when it is carried out.', 'info');
    else notice(name, action + ' ' + done.status + ': ' + (done.error || 'no reason given'), 'error');
  } catch (err) {
    if (err.status === 401) {
      sessionEnded('Your session has ended; sign in again.');
      return;
    }
    notice(name, action + ' refused: ' + err.message, 'error');
  } finally {
    state.busy = false;
    renderDetail();
  }
}

function notice(topic, text, kind) {
  state.notice = { topic, text, kind };
  renderDetail();
}

function confirmDeactivate(name) {
  const dialog = $('confirm-dialog');
  setText($('confirm-topic'), name);
  $('confirm-reason').value = '';
  dialog.dataset.topic = name;
  dialog.showModal();
}

$('confirm-cancel').addEventListener('click', () => $('confirm-dialog').close());
$('confirm-yes').addEventListener('click', () => {
  const dialog = $('confirm-dialog');
  const name = dialog.dataset.topic;
  const reason = $('confirm-reason').value.trim();
  dialog.close();
  if (name) decide(name, 'deactivate', reason);
});

// ---- signing in and out

function showSignIn(message) {
  $('dashboard').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  const err = $('sign-in-error');
  err.hidden = !message;
  setText(err, message || '');
  $('token').focus();
}

function start(who) {
  state.who = who;
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  const whoEl = $('who');
  replace(whoEl, who.name, ' ', h('span', { className: 'badge role', dataset: { role: who.role } }, who.role));
  whoEl.hidden = false;
  $('sign-out').hidden = false;
  stream.open();
  subscriptions.start();
  usage.start();
}

function stop() {
  state.generation++;
  state.who = null;
  state.selected = null;
  state.history = null;
  state.notice = null;
  state.draft = { topic: null, reason: '' };
  state.detailKey = '';
  state.dirty.clear();
  stream.close();
  connection('offline');
  view.clear();
  feed.clear();
  live.clear();
  rates.clear();
  trouble.stop();
  subscriptions.stop();
  usage.stop();
  browser.clear();
  state.seeded = false;
  state.usageFor = null;
  state.topicUsage = null;
  $('pending').hidden = true;
  state.pendingKey = '';
  replace($('detail'), h('p', { className: 'muted' }, 'Select a topic to see its details and history.'));
}

function sessionEnded(message) {
  if (!state.who) return;
  stop();
  showSignIn(message);
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('token');
  const token = input.value.trim();
  if (!token) return;
  const button = $('sign-in-button');
  button.disabled = true;
  try {
    const who = await api.signIn(token);
    input.value = '';
    $('sign-in-error').hidden = true;
    start(who);
  } catch (err) {
    showSignIn(err.status === 401 ? 'That token is not valid.' : err.message);
  } finally {
    button.disabled = false;
  }
});

$('sign-out').addEventListener('click', async () => {
  try {
    await api.signOut();
  } catch (err) {
    console.warn('kds: sign out:', err.message);
  }
  stop();
  showSignIn();
});

$('filter').addEventListener('input', (e) => view.setFilter(e.target.value));

// ---- start

api.whoami().then(start, (err) => showSignIn(err.status === 401 ? '' : err.message));

// The API of the server that serves the page. The session cookie carries
// the token (HttpOnly: scripts never see it); requests that change
// something echo the kds_csrf cookie in X-CSRF-Token, as the API demands of
// cookie-authenticated requests.

// ApiError is an error answer: its status and the API's message.
export class ApiError extends Error {
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems || [];
  }
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === 'kds_csrf') return v || '';
  }
  return '';
}

// call sends a JSON request and returns the decoded answer, or throws an
// ApiError.
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'the kds API cannot be reached: ' + err.message);
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error) || res.status + ' ' + res.statusText, data && data.problems);
  }
  return data;
}

// topicPath is the API path of a topic; names are checked by the API, but
// are escaped here anyway.
export function topicPath(name, rest = '') {
  return '/api/v1/topics/' + encodeURIComponent(name) + rest;
}

export const whoami = () => call('GET', '/api/v1/whoami');
export const poison = () => call('GET', '/api/v1/poison');
export const requeuePoison = (id) => call('POST', '/api/v1/poison/' + encodeURIComponent(id) + '/requeue');
export const drift = () => call('GET', '/api/v1/drift');
export const signIn = (token) => call('POST', '/api/v1/session', { token });
export const signOut = () => call('DELETE', '/api/v1/session');
export const topics = () => call('GET', '/api/v1/topics');
export const topic = (name) => call('GET', topicPath(name));
export const history = (name) => call('GET', topicPath(name, '/history'));

// access resolves to who may write and read each topic in Kafka, or to
// null where kds does not keep Kafka's ACLs (404).
export async function access() {
  try {
    return await call('GET', '/api/v1/access');
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}
export const decide = (name, action, reason) =>
  call('POST', topicPath(name, '/' + action), reason ? { reason } : undefined);
export const recentCommands = (limit) => call('GET', '/api/v1/commands?limit=' + limit);
export const usage = (history) => call('GET', '/api/v1/usage' + (history ? '?history=1' : ''));
export const topicUsage = (name) => call('GET', topicPath(name, '/usage'));
export const records = (name, params) => call('GET', topicPath(name, '/records') + '?' + new URLSearchParams(params).toString());
export const awaitCommand = (id) => call('GET', '/api/v1/commands/' + encodeURIComponent(id) + '?wait=30s');

// consumers lists the consumers, their subscriptions and processes. With
// the ETag of the previous answer it resolves to null when nothing shown
// changed (the server answers 304 without a body); otherwise to
// {etag, list}.
export async function consumers(etag) {
  const headers = { Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  let res;
  try {
    res = await fetch('/api/v1/consumers', { headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'the kds API cannot be reached: ' + err.message);
  }
  if (res.status === 304) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.status + ' ' + res.statusText, data && data.problems);
  return { etag: res.headers.get('ETag') || '', list: data || [] };
}

// messagesPath is the live stream of a topic's newest messages.
export const messagesPath = (name) => topicPath(name, '/messages');

// refusal asks for a stream that EventSource could not open, to learn
// why: the API answers a topic that is not active with a JSON error before
// any stream starts. It resolves to {status, message}, or to null when the
// stream would open now (the request is then abandoned at once).
export async function refusal(path) {
  const ctl = new AbortController();
  try {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store', signal: ctl.signal });
    if (res.ok) {
      ctl.abort();
      return null;
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    return { status: res.status, message: (data && data.error) || res.status + ' ' + res.statusText };
  } catch (err) {
    return { status: 0, message: 'the kds API cannot be reached: ' + err.message };
  }
}

// Stream follows /api/v1/events. onEvent gets each lifecycle event and
// onRates each reading of the message rates; onState gets "live",
// "reconnecting" or "closed". onOpen runs on every (re)connection, when
// the page must catch up on what it missed.
export class Stream {
  constructor({ onEvent, onRates, onState, onOpen }) {
    this.onEvent = onEvent;
    this.onRates = onRates;
    this.onState = onState;
    this.onOpen = onOpen;
    this.source = null;
  }

  open() {
    this.close();
    const es = new EventSource('/api/v1/events');
    this.source = es;
    es.addEventListener('open', () => {
      this.onState('live');
      this.onOpen();
    });
    es.addEventListener('lifecycle', (e) => {
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch {
        return;
      }
      this.onEvent(ev);
    });
    es.addEventListener('rates', (e) => {
      let r;
      try {
        r = JSON.parse(e.data);
      } catch {
        return;
      }
      this.onRates(r);
    });
    es.addEventListener('error', () => {
      if (this.source !== es) return;
      // The browser reconnects by itself unless the server refused the
      // stream (a 401 after sign-out or revocation): then it is closed.
      this.onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    });
  }

  close() {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }
}

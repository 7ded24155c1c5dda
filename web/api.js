// The HTTP API (docs/api.md) and its event stream, for the page.

const TOKEN_KEY = 'kalewx.token';
const USER_KEY = 'kalewx.user';
const EXPIRES_KEY = 'kalewx.expires';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The access token lives in sessionStorage: it ends with the tab, and a
// script of another origin cannot read it. It is dropped a minute before it
// expires, so the page signs out instead of sending a token the API refuses.
export const session = {
  get token() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token && Date.now() >= Number(sessionStorage.getItem(EXPIRES_KEY))) {
      this.end();
      return null;
    }
    return token;
  },
  get username() { return sessionStorage.getItem(USER_KEY); },
  start(token, username, expiresIn) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, username);
    sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + (expiresIn - 60) * 1000));
    document.dispatchEvent(new CustomEvent('kalewx:session'));
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    sessionStorage.removeItem(EXPIRES_KEY);
    document.dispatchEvent(new CustomEvent('kalewx:session'));
  },
};

// Calls /api/v1<path> and returns the envelope's data, or throws an ApiError
// carrying the API's code and message. Requests carry the token when there
// is one, so they count against the user's rate limit, not the address's.
export async function api(path, { method = 'GET', body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json' };
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `the server cannot be reached (${e.message})`);
  }
  let env = null;
  try {
    env = await res.json();
  } catch {
    env = null;
  }
  if (res.ok && env && env.success === true) return env.data;
  if (res.status === 401 && token) session.end();
  const code = env?.code ?? `HTTP_${res.status}`;
  const message = env?.message || env?.error || `${res.status} ${res.statusText}`;
  throw new ApiError(res.status, code, message);
}

const EVENT_TYPES = ['block.changed', 'phase.changed', 'cycle.started', 'dao.committed', 'dao.revealed',
  'weather.resolved', 'cycle.settled'];

// Follows /api/v1/stream. The browser reconnects by itself and sends
// Last-Event-ID, so nothing is missed across a dropped connection; if the
// stream is refused outright (the EventSource closes), a new one resumes
// after the last id seen through the lastEventId query argument.
// onEvent(type, data, id) gets each event; onState('live'|'reconnecting').
export function follow(onEvent, onState) {
  let lastId = null;
  let source = null;
  let retryMs = 1000;
  const open = () => {
    const url = lastId === null ? '/api/v1/stream' : `/api/v1/stream?lastEventId=${encodeURIComponent(lastId)}`;
    source = new EventSource(url);
    source.onopen = () => {
      retryMs = 1000;
      onState('live');
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        onState('reconnecting');
        setTimeout(open, retryMs);
        retryMs = Math.min(retryMs * 2, 30000);
      } else {
        onState('reconnecting');
      }
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastId = ev.lastEventId;
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch {
          return;
        }
        onEvent(type, data, ev.lastEventId);
      });
    }
  };
  open();
}

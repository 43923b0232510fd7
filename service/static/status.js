// Modelwatch status page: re-fetches the server-rendered panel whenever GET /v1/events says
// something happened (and every 10 s for the figures that move on their own). The stream is read
// with fetch rather than EventSource so the API token can be sent when reads are protected; it
// reconnects with Last-Event-ID as a browser's EventSource would.
'use strict';

const REFRESH_EVERY_MS = 10_000;
const RECONNECT_MS = 2_000;
const TOKEN_KEY = 'modelwatch-token';

const live = () => document.getElementById('live');
const setLive = (text) => {
  live().textContent = text;
};

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
}

function askForToken(message) {
  document.body.dataset.locked = 'true';
  document.getElementById('token-form').hidden = false;
  setLive(message);
}

let refreshing = null;
let refreshAgain = false;

/** Fetches the panel; a refresh asked for while one runs is done once after it. */
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const res = await fetch('/status/panel', { headers: authHeaders(), cache: 'no-store' });
      if (res.status === 401) return askForToken('Not connected: the API token is missing or wrong.');
      if (!res.ok) return setLive(`Could not refresh: HTTP ${res.status}. Retrying.`);
      document.getElementById('panel').innerHTML = await res.text();
    } catch {
      setLive('Could not reach the service. Retrying.');
    }
  })();
  await refreshing;
  refreshing = null;
  if (refreshAgain) {
    refreshAgain = false;
    await refresh();
  }
}

let lastEventId = null;

/** Reads one connection of the event stream until it ends; resolves with why it ended. */
async function follow() {
  const headers = { ...authHeaders(), accept: 'text/event-stream' };
  if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  const res = await fetch('/v1/events', { headers, cache: 'no-store' });
  if (res.status === 401) return 'unauthorized';
  if (!res.ok || !res.body) return `HTTP ${res.status}`;
  setLive('Live: updates arrive as they happen.');
  await refresh(); // whatever happened while we were not connected
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'closed by the service';
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) lastEventId = line.slice(4);
        if (line.startsWith('data: ')) isEvent = true;
      }
      if (isEvent) void refresh();
    }
  }
}

async function stayConnected() {
  for (;;) {
    let why;
    try {
      why = await follow();
    } catch {
      why = 'connection lost';
    }
    if (why === 'unauthorized') return askForToken('Not connected: the API token is missing or wrong.');
    setLive(`Reconnecting (${why})…`);
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

function start() {
  document.body.dataset.locked = 'false';
  document.getElementById('token-form').hidden = true;
  void refresh();
  void stayConnected();
  setInterval(() => void refresh(), REFRESH_EVERY_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value);
    start();
  });
  if (document.body.dataset.locked !== 'true' || sessionStorage.getItem(TOKEN_KEY)) start();
});

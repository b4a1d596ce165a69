// The live feed: one WebSocket to /api/v1/stream per signed-in tab. It
// authenticates with the in-memory access token in its first message (never
// in the URL), subscribes to channels, reconnects with backoff, and hands
// every event to the subscribers of its channel.
import { accessToken, signedIn } from './api.js';

const handlers = new Map();  // channel -> Set(fn)
let ws = null;
let backoff = 500;
let wanted = false;
let statusFn = () => {};

export function onStatus(fn) { statusFn = fn; }

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function connect() {
  if (!wanted || !signedIn()) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/api/v1/stream`);
  ws.addEventListener('open', () => {
    send({ type: 'auth', token: accessToken() });
    for (const channel of handlers.keys()) send({ type: 'subscribe', channel });
  });
  ws.addEventListener('message', (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.type === 'auth_ok' || msg.type === 'authenticated' || msg.type === 'welcome') {
      backoff = 500;
      statusFn(true);
      return;
    }
    if (msg.type === 'subscribed') { statusFn(true); return; }
    const channel = msg.channel || 'signals';
    for (const fn of handlers.get(channel) || []) fn(msg);
  });
  ws.addEventListener('close', (ev) => {
    statusFn(false);
    ws = null;
    // 4401/4403: the server refused this account (bad token, tier); retrying
    // would only repeat the refusal.
    if (ev.code === 4401 || ev.code === 4403) wanted = false;
    if (wanted) {
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 15000);
    }
  });
}

export function start() {
  wanted = true;
  if (!ws) connect();
}

export function stop() {
  wanted = false;
  if (ws) ws.close();
  ws = null;
  statusFn(false);
}

// Calls fn(event) for every event on `channel` until the returned function is called.
export function subscribe(channel, fn) {
  if (!handlers.has(channel)) {
    handlers.set(channel, new Set());
    send({ type: 'subscribe', channel });
  }
  handlers.get(channel).add(fn);
  return () => {
    const set = handlers.get(channel);
    if (!set) return;
    set.delete(fn);
    if (!set.size) {
      handlers.delete(channel);
      send({ type: 'unsubscribe', channel });
    }
  };
}

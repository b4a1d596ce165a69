// Signals: the live table of active signals, updated over the WebSocket
// without a reload. A free account sees the delayed history of closed
// signals (what its tier allows) and an upgrade notice instead.
import * as api from '../api.js';
import * as stream from '../stream.js';
import { h, mount, table, tableRow, errorBox, fmtNum, fmtPct, fmtTime, signClass, daysBetween, go } from '../ui.js';

function unrealized(s) {
  if (s.realized_pnl_pct !== undefined && s.realized_pnl_pct !== null) return +s.realized_pnl_pct;
  const cur = +s.current_price, entry = +s.entry_price;
  if (!cur || !entry) return null;
  const r = ((cur - entry) / entry) * 100;
  return s.side === 'sell' ? -r : r;
}

const activeColumns = [
  { title: 'Symbol', value: (s) => h('a', { href: `#/signal/${encodeURIComponent(s.id)}` }, s.symbol), class: 'l' },
  { title: 'Side', value: (s) => s.side, cls: (s) => s.side },
  { title: 'Strategy', value: (s) => s.strategy, class: 'l' },
  { title: 'Conf.', value: (s) => fmtNum(s.confidence * 100, 0) + '%' },
  { title: 'Entry', value: (s) => fmtNum(s.entry_price) },
  { title: 'Current', value: (s) => fmtNum(s.current_price) },
  { title: 'Target', value: (s) => fmtNum(s.target_price) },
  { title: 'Stop', value: (s) => fmtNum(s.stop_price) },
  { title: 'Unreal. P&L', value: (s) => fmtPct(unrealized(s)), cls: (s) => signClass(unrealized(s)) },
  { title: 'Days', value: (s) => fmtNum(daysBetween(s.created_at), 1) },
];

const closedColumns = [
  { title: 'Symbol', value: (s) => h('a', { href: `#/signal/${encodeURIComponent(s.id)}` }, s.symbol), class: 'l' },
  { title: 'Side', value: (s) => s.side, cls: (s) => s.side },
  { title: 'Strategy', value: (s) => s.strategy, class: 'l' },
  { title: 'Created', value: (s) => fmtTime(s.created_at) },
  { title: 'Entry', value: (s) => fmtNum(s.entry_price) },
  { title: 'Exit', value: (s) => fmtNum(s.exit_price) },
  { title: 'Outcome', value: (s) => (s.status || '').replace('_', ' '), class: 'l' },
  { title: 'P&L', value: (s) => fmtPct(s.realized_pnl_pct), cls: (s) => signClass(s.realized_pnl_pct) },
];

export async function render(view) {
  const me = api.me() || {};
  const free = me.tier === 'free';
  const status = h('div');
  const filters = {
    symbol: h('input', { name: 'symbol', placeholder: 'AAPL', size: 8 }),
    strategy: h('input', { name: 'strategy', placeholder: 'mean_reversion', size: 14 }),
    side: h('select', { name: 'side' }, h('option', { value: '' }, 'any'), h('option', { value: 'buy' }, 'buy'), h('option', { value: 'sell' }, 'sell')),
    min_confidence: h('input', { name: 'min_confidence', type: 'number', min: 0, max: 1, step: 0.05, placeholder: '0.7', size: 5 }),
  };
  const form = h('form', { class: 'inline', id: 'signal-filters' },
    h('label', {}, 'Symbol', filters.symbol), h('label', {}, 'Strategy', filters.strategy),
    h('label', {}, 'Side', filters.side), h('label', {}, 'Min conf.', filters.min_confidence),
    h('button', { type: 'submit' }, 'Filter'));
  const holder = h('div', { class: 'panel', id: 'signals-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older…');
  let rows = [];
  let cursor = null;
  let tbody = null;

  const params = () => ({
    status: free ? undefined : 'active',
    symbol: filters.symbol.value.trim().toUpperCase(),
    strategy: filters.strategy.value.trim(),
    side: filters.side.value,
    min_confidence: filters.min_confidence.value,
    limit: 50,
  });

  async function load(append = false) {
    try {
      const data = await api.get(`/signals${api.qs({ ...params(), cursor: append ? cursor : undefined })}`);
      const page = api.items(data);
      cursor = data?.next_cursor || null;
      rows = append ? rows.concat(page) : page;
      const t = table(free ? closedColumns : activeColumns, rows, {
        rowKey: (s) => s.id, onRow: (s) => go(`#/signal/${encodeURIComponent(s.id)}`),
        empty: free ? 'No closed signals yet.' : 'No active signals right now; new ones appear here live.',
      });
      tbody = t.querySelector('tbody');
      mount(holder, t);
      more.hidden = !cursor;
      mount(status);
    } catch (e) {
      mount(status, errorBox(e));
    }
  }

  function matches(s) {
    const p = params();
    if (s.status && s.status !== 'active') return false;
    if (p.symbol && s.symbol !== p.symbol) return false;
    if (p.strategy && s.strategy !== p.strategy) return false;
    if (p.side && s.side !== p.side) return false;
    if (p.min_confidence && +s.confidence < +p.min_confidence) return false;
    return true;
  }

  // A live event: a new or changed signal. Events may carry the whole signal
  // or just its id; then the detail route supplies it.
  async function onEvent(msg) {
    let s = msg.signal || msg.data || null;
    const id = s?.id || msg.signal_id || msg.id;
    if (!id) return;
    if (!s || s.entry_price === undefined) {
      try { s = (await api.get(`/signals/${encodeURIComponent(id)}`)).signal || s; } catch { return; }
      if (s?.signal) s = s.signal;
    }
    if (!s || !tbody) return;
    const i = rows.findIndex((r) => r.id === s.id);
    const keep = matches(s);
    const old = tbody.querySelector(`tr[data-key="${CSS.escape(s.id)}"]`);
    if (i >= 0) rows.splice(i, 1);
    if (old) old.remove();
    if (!keep) return;
    rows.unshift(s);
    const tr = tableRow(activeColumns, s, (r) => go(`#/signal/${encodeURIComponent(r.id)}`), (r) => r.id);
    tr.classList.add('flash');
    tbody.prepend(tr);
    holder.querySelector('p.muted')?.remove();
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  more.addEventListener('click', () => load(true));
  const notice = free
    ? h('div', { class: 'notice', id: 'upgrade-notice' },
      'Your free plan shows closed signals older than 24 hours with their outcome. ',
      'Upgrade to premium for real-time active signals, live updates and alerts.')
    : null;
  mount(view, h('h1', {}, free ? 'Signal history' : 'Active signals'), notice, status, form, h('div', { class: 'gap' }), holder, more);
  await load();
  if (free) return undefined;
  return stream.subscribe('signals', onEvent);
}

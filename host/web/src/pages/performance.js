// Performance: win rate, average return, Sharpe and max drawdown per strategy
// and period; the equity curve and drawdown of following every closed signal
// with equal weight; a monthly returns heat map; the closed signals table.
import * as api from '../api.js';
import { lineChart } from '../charts.js';
import { h, mount, table, errorBox, fmtNum, fmtPct, fmtTime, fmtDay, signClass, stat, toDate } from '../ui.js';

const PERIODS = ['7d', '30d', '90d', 'all'];

// Closed signals, oldest exit first: the page's own series (up to 2,000).
async function closedSignals(strategy) {
  let out = [];
  let cursor;
  for (let i = 0; i < 10; i++) {
    const data = await api.get(`/signals${api.qs({ status: 'closed', strategy, limit: 200, cursor })}`);
    out = out.concat(api.items(data).filter((s) => s.status !== 'active' && s.realized_pnl_pct !== null && s.realized_pnl_pct !== undefined));
    cursor = data?.next_cursor;
    if (!cursor) break;
  }
  return out.sort((a, b) => toDate(a.exit_at) - toDate(b.exit_at));
}

export function equityCurve(trades) {
  let equity = 100, peak = 100;
  const eq = [], dd = [];
  for (const t of trades) {
    equity *= 1 + (+t.realized_pnl_pct) / 100 / 5;  // one fifth of the book per signal (max 5 positions)
    peak = Math.max(peak, equity);
    eq.push({ time: t.exit_at, value: equity });
    dd.push({ time: t.exit_at, value: ((equity - peak) / peak) * 100 });
  }
  return { eq, dd };
}

function sharpe(returns) {
  if (returns.length < 2) return null;
  const m = returns.reduce((a, b) => a + b, 0) / returns.length;
  const sd = Math.sqrt(returns.reduce((a, b) => a + (b - m) ** 2, 0) / (returns.length - 1));
  return sd > 0 ? m / sd : null;
}

function monthly(trades) {
  const byMonth = new Map();
  for (const t of trades) {
    const d = toDate(t.exit_at);
    const key = `${d.getUTCFullYear()}-${d.getUTCMonth()}`;
    byMonth.set(key, (byMonth.get(key) || 0) + +t.realized_pnl_pct / 5);
  }
  const years = [...new Set([...byMonth.keys()].map((k) => +k.split('-')[0]))].sort();
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return h('div', { class: 'scroll' }, h('table', { class: 'heat', id: 'monthly-heatmap' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Year'), months.map((m) => h('th', {}, m)))),
    h('tbody', {}, years.map((y) => h('tr', {}, h('td', {}, String(y)), months.map((_, mi) => {
      const v = byMonth.get(`${y}-${mi}`);
      const td = h('td', { class: v === undefined ? 'muted' : signClass(v) }, v === undefined ? '·' : fmtPct(v, 1));
      if (v !== undefined) td.classList.add(`heat-${Math.max(-3, Math.min(3, Math.round(v / 2)))}`);
      return td;
    }))))));
}

export async function render(view, { query }) {
  const period = PERIODS.includes(query.get('period')) ? query.get('period') : '30d';
  const strategy = query.get('strategy') || '';
  const status = h('div');
  const tabs = h('p', {}, PERIODS.map((p) => [h('a', { href: `#/performance?period=${p}${strategy ? `&strategy=${encodeURIComponent(strategy)}` : ''}`, class: p === period ? 'badge active' : 'badge' }, p), ' ']));
  mount(view, h('h1', {}, 'Performance'), tabs, status, h('p', { class: 'muted' }, 'Loading…'));
  let report, trades;
  try {
    [report, trades] = await Promise.all([
      api.get(`/performance${api.qs({ period, strategy, grouping: 'daily' })}`),
      closedSignals(strategy || undefined),
    ]);
  } catch (e) {
    mount(view, h('h1', {}, 'Performance'), tabs, errorBox(e));
    return undefined;
  }
  const o = report.overall || report;
  const since = period === 'all' ? null : Date.now() - parseInt(period, 10) * 86400000;
  const inPeriod = since ? trades.filter((t) => toDate(t.exit_at) >= since) : trades;
  const { eq, dd } = equityCurve(inPeriod);
  const maxDd = dd.length ? Math.min(...dd.map((p) => p.value)) : null;
  const byStrategy = report.strategies || report.by_strategy || [];
  // The engine's own statistics per strategy (Sharpe, drawdown...), when computed.
  const engineStats = new Map((report.engine_stats || []).filter((e) => e && e.stats).map((e) => [e.strategy, e.stats]));
  const sh = (strategy ? engineStats.get(strategy)?.sharpe : undefined) ?? sharpe(inPeriod.map((t) => +t.realized_pnl_pct));
  const eqEl = h('div', { class: 'chart mid', id: 'equity-chart' });
  const ddEl = h('div', { class: 'chart small', id: 'drawdown-chart' });
  mount(view, h('h1', {}, 'Performance'), tabs, status,
    h('div', { class: 'grid', id: 'perf-stats' },
      stat('Signals', String(o.count ?? inPeriod.length)),
      stat('Win rate', o.win_rate !== undefined ? fmtPct(o.win_rate * (o.win_rate <= 1 ? 100 : 1), 1).replace('+', '') : '—'),
      stat('Avg return', fmtPct(o.avg_return_pct ?? o.avg_return), signClass(o.avg_return_pct ?? o.avg_return)),
      stat(strategy && engineStats.get(strategy) ? 'Sharpe' : 'Sharpe (per trade)', fmtNum(sh)),
      stat('Max drawdown', fmtPct(o.max_drawdown_pct ?? maxDd), 'neg'),
      stat('Active now', String(report.active_signals ?? report.active ?? '—'))),
    h('div', { class: 'panel' }, h('h2', {}, 'Equity curve (equal weight, ⅕ per signal)'), inPeriod.length ? eqEl : h('p', { class: 'muted' }, 'No closed signals in this period.'),
      inPeriod.length ? h('h2', {}, 'Drawdown') : null, inPeriod.length ? ddEl : null),
    h('div', { class: 'panel' }, h('h2', {}, 'By strategy'), table([
      { title: 'Strategy', value: (r) => h('a', { href: `#/performance?period=${period}&strategy=${encodeURIComponent(r.key)}` }, r.key), class: 'l' },
      { title: 'Signals', value: (r) => r.count },
      { title: 'Win rate', value: (r) => fmtPct((r.win_rate ?? 0) * 100, 1).replace('+', '') },
      { title: 'Avg', value: (r) => fmtPct(r.avg_return_pct), cls: (r) => signClass(r.avg_return_pct) },
      { title: 'Median', value: (r) => fmtPct(r.median_return_pct), cls: (r) => signClass(r.median_return_pct) },
      { title: 'Best', value: (r) => fmtPct(r.best_pct) },
      { title: 'Worst', value: (r) => fmtPct(r.worst_pct) },
      { title: 'Avg days', value: (r) => fmtNum(r.avg_days_held, 1) },
      { title: 'Sharpe', value: (r) => fmtNum(engineStats.get(r.key)?.sharpe) },
      { title: 'Max DD', value: (r) => fmtPct(engineStats.get(r.key)?.max_drawdown_pct) },
    ], byStrategy)),
    h('div', { class: 'panel' }, h('h2', {}, 'Monthly returns'), monthly(trades)),
    h('div', { class: 'panel' }, h('h2', {}, 'Closed signals'), table([
      { title: 'Closed', value: (t) => fmtDay(t.exit_at), class: 'l' },
      { title: 'Symbol', value: (t) => h('a', { href: `#/signal/${encodeURIComponent(t.id)}` }, t.symbol) },
      { title: 'Side', value: (t) => t.side, cls: (t) => t.side },
      { title: 'Strategy', value: (t) => t.strategy, class: 'l' },
      { title: 'Entry', value: (t) => fmtNum(t.entry_price) },
      { title: 'Exit', value: (t) => fmtNum(t.exit_price) },
      { title: 'Outcome', value: (t) => (t.status || '').replace('_', ' '), class: 'l' },
      { title: 'P&L', value: (t) => fmtPct(t.realized_pnl_pct), cls: (t) => signClass(t.realized_pnl_pct) },
      { title: 'Opened', value: (t) => fmtTime(t.created_at) },
    ], inPeriod.slice().reverse().slice(0, 200), { empty: 'No closed signals in this period.' })));
  const charts = [];
  if (inPeriod.length) {
    charts.push(lineChart(eqEl, [{ title: 'equity', color: '#22c55e', area: true, points: eq }]));
    charts.push(lineChart(ddEl, [{ title: 'drawdown %', color: '#ef4444', area: true, invert: true, points: dd }]));
  }
  return () => charts.forEach((c) => c.remove());
}

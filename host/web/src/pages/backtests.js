// Backtests (pro tier): submit a strategy over symbols and dates, watch its
// progress, and read the report: statistics, equity curve, drawdown, monthly
// returns and trades — the sections of the CLI's HTML report, drawn here from
// the run's JSON; the offline HTML file itself can be downloaded.
import * as api from '../api.js';
import { lineChart } from '../charts.js';
import { h, mount, table, errorBox, fmtNum, fmtPct, fmtDay, signClass, stat, badge, toDate } from '../ui.js';

function statsGrid(stats) {
  const v = (k) => (stats?.[k] === undefined || stats?.[k] === null ? null : +stats[k]);
  const winRate = v('win_rate');
  return h('div', { class: 'grid', id: 'backtest-stats' },
    stat('Trades', String(v('count') ?? '—')),
    stat('Total return', fmtPct(v('total_return_pct')), signClass(v('total_return_pct'))),
    stat('Win rate', winRate === null ? '—' : fmtPct(winRate <= 1 ? winRate * 100 : winRate, 1).replace('+', '')),
    stat('Avg trade', fmtPct(v('avg_return_pct')), signClass(v('avg_return_pct'))),
    stat('Sharpe', fmtNum(v('sharpe'))),
    stat('Sortino', fmtNum(v('sortino'))),
    stat('Max drawdown', fmtPct(v('max_drawdown_pct'))),
    stat('Profit factor', fmtNum(v('profit_factor'))));
}

function report(run) {
  const result = run.result || run.results || run;
  const stats = result.stats || result.statistics || result.summary || {};
  const curve = result.equity_curve || result.equity || [];
  const trades = result.trades || [];
  const eqEl = h('div', { class: 'chart mid', id: 'backtest-equity' });
  const ddEl = h('div', { class: 'chart small' });
  const node = h('div', {},
    statsGrid(stats),
    h('div', { class: 'panel' }, h('h2', {}, 'Equity'), eqEl, h('h2', {}, 'Drawdown'), ddEl),
    h('div', { class: 'panel' }, h('h2', {}, `Trades (${trades.length})`), table([
      { title: 'Symbol', value: (t) => t.symbol, class: 'l' },
      { title: 'Side', value: (t) => t.side, cls: (t) => t.side },
      { title: 'Entry', value: (t) => `${fmtDay(t.entry_at ?? t.entry_ts)} @ ${fmtNum(t.entry_price)}` },
      { title: 'Exit', value: (t) => `${fmtDay(t.exit_at ?? t.exit_ts)} @ ${fmtNum(t.exit_price)}` },
      { title: 'Reason', value: (t) => t.exit_reason || t.reason || '', class: 'l' },
      { title: 'P&L', value: (t) => fmtPct(t.pnl_pct ?? t.return_pct), cls: (t) => signClass(t.pnl_pct ?? t.return_pct) },
    ], trades.slice(0, 500))));
  const charts = [];
  const points = curve.map((p) => (Array.isArray(p) ? { time: p[0], value: p[1] } : { time: p.ts ?? p.time ?? p.date, value: p.equity ?? p.value }))
    .filter((p) => toDate(p.time));
  if (points.length) {
    charts.push(lineChart(eqEl, [{ title: 'equity', color: '#22c55e', area: true, points }]));
    let peak = -Infinity;
    const dd = points.map((p) => { peak = Math.max(peak, p.value); return { time: p.time, value: ((p.value - peak) / peak) * 100 }; });
    charts.push(lineChart(ddEl, [{ title: 'drawdown %', color: '#ef4444', area: true, invert: true, points: dd }]));
  }
  return { node, cleanup: () => charts.forEach((c) => c.remove()) };
}

export async function render(view) {
  const me = api.me() || {};
  const allowed = me.tier === 'pro' || me.tier === 'admin';
  const status = h('div');
  const runEl = h('div', { id: 'backtest-run' });
  const listEl = h('div', { class: 'panel' });
  let timer = null;
  let cleanupReport = null;
  const f = {
    strategy: h('input', { name: 'strategy', value: 'mean_reversion', size: 16, required: true }),
    symbols: h('input', { name: 'symbols', value: 'AAPL,MSFT', size: 18, required: true }),
    from: h('input', { name: 'from', type: 'date', value: '2020-01-01', required: true }),
    to: h('input', { name: 'to', type: 'date', value: new Date().toISOString().slice(0, 10), required: true }),
  };
  const form = h('form', { class: 'inline', id: 'backtest-form' },
    h('label', {}, 'Strategy', f.strategy), h('label', {}, 'Symbols', f.symbols),
    h('label', {}, 'From', f.from), h('label', {}, 'To', f.to),
    h('button', { type: 'submit', disabled: !allowed }, 'Run backtest'));

  async function watch(id) {
    clearTimeout(timer);
    try {
      const run = await api.get(`/backtests/${encodeURIComponent(id)}`);
      const st = run.status || 'queued';
      const progress = Math.round(100 * (run.progress ?? (st === 'done' || st === 'completed' ? 1 : 0)));
      const bar = h('div', { class: 'progress' }, h('div'));
      bar.firstChild.style.width = `${progress}%`;
      const head = h('div', { class: 'panel' }, h('h2', {}, `Run ${id} `, badge(st)), bar,
        run.error ? h('div', { class: 'error' }, run.error) : null,
        st === 'done' || st === 'completed' ? h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => download(id) }, 'Download the HTML report')) : null);
      if (cleanupReport) cleanupReport();
      cleanupReport = null;
      if (st === 'done' || st === 'completed') {
        const r = report(run);
        cleanupReport = r.cleanup;
        mount(runEl, head, r.node);
      } else {
        mount(runEl, head);
        if (st !== 'failed' && st !== 'error') timer = setTimeout(() => watch(id), 1000);
      }
    } catch (e) {
      mount(runEl, errorBox(e));
    }
  }
  async function download(id) {
    const resp = await fetch(`/api/v1/backtests/${encodeURIComponent(id)}/report.html`, { headers: { Authorization: `Bearer ${api.accessToken()}` } });
    if (!resp.ok) { mount(status, errorBox(new Error(`report: HTTP ${resp.status}`))); return; }
    const url = URL.createObjectURL(await resp.blob());
    const a = h('a', { href: url, download: `backtest-${id}.html` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  async function loadList() {
    try {
      const rows = api.items(await api.get('/backtests'));
      mount(listEl, h('h2', {}, 'Recent runs'), table([
        { title: 'Run', value: (r) => h('button', { type: 'button', class: 'link', onclick: () => watch(r.id) }, String(r.id)), class: 'l' },
        { title: 'Strategy', value: (r) => r.strategy, class: 'l' },
        { title: 'Status', value: (r) => badge(r.status || '') },
        { title: 'Created', value: (r) => fmtDay(r.created_at) },
      ], rows, { empty: 'No backtests yet.' }));
    } catch (e) { mount(listEl, errorBox(e)); }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    mount(status);
    try {
      const run = await api.post('/backtests', {
        strategy: f.strategy.value.trim(),
        symbols: f.symbols.value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean),
        from: f.from.value, to: f.to.value,
      });
      watch(run.id);
      loadList();
    } catch (e) { mount(status, errorBox(e)); }
  });
  mount(view, h('h1', {}, 'Backtests'),
    allowed ? null : h('div', { class: 'notice', id: 'upgrade-notice' }, 'Backtests over the API are part of the pro plan.'),
    status, h('div', { class: 'panel' }, form), runEl, listEl);
  if (allowed) loadList();
  return () => { clearTimeout(timer); if (cleanupReport) cleanupReport(); };
}

// One signal: the candlestick chart of its symbol with volume, Bollinger
// bands, an RSI pane, entry/exit markers and target/stop lines; then the
// summary, the features that justified it, the news behind it and its
// per-bar performance history.
import * as api from '../api.js';
import { signalChart, lineChart } from '../charts.js';
import { h, mount, table, errorBox, fmtNum, fmtPct, fmtTime, signClass, stat, toDate } from '../ui.js';

const DAY = 86400000;

export async function loadBars(symbol, fromMs, toMs, timeframe = '1d') {
  const data = await api.get(`/market/${encodeURIComponent(symbol)}/bars${api.qs({
    timeframe,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    indicators: 'bbands(20,2,2),rsi(14)',
  })}`);
  return data;
}

function indicatorSeries(data, prefix) {
  // {indicators: {"bbands(20,2)": {upper:[...], middle:[...], lower:[...]}, ...}} with values
  // aligned to bars, or [{ts, value}] lists.
  const out = {};
  const inds = data?.indicators || {};
  const bars = api.items(data?.bars ?? data);
  for (const [name, v] of Object.entries(inds)) {
    if (!name.toLowerCase().startsWith(prefix)) continue;
    const outputs = Array.isArray(v) ? { value: v } : v?.values || v?.outputs || v;
    for (const [k, arr] of Object.entries(outputs || {})) {
      if (!Array.isArray(arr)) continue;
      out[k] = arr.map((p, i) => (typeof p === 'object' && p !== null ? p : { ts: bars[i]?.ts ?? bars[i]?.time, value: p }))
        .filter((p) => p.ts !== undefined && p.value !== null);
    }
  }
  return out;
}

export async function render(view, { args }) {
  const id = args[0];
  mount(view, h('p', { class: 'muted' }, 'Loading…'));
  let detail;
  try {
    detail = await api.get(`/signals/${encodeURIComponent(id)}`);
  } catch (e) {
    mount(view, h('p', {}, h('a', { href: '#/signals' }, '← Signals')), errorBox(e));
    return undefined;
  }
  const s = detail.signal || detail;
  const created = toDate(s.created_at || s.bar_ts);
  const exitAt = toDate(s.exit_at);
  const chartEl = h('div', { class: 'chart', id: 'signal-chart' });
  const chartErr = h('div');
  const pnl = s.realized_pnl_pct ?? (s.performance?.length ? s.performance.at(-1).unrealized_pnl_pct : null);

  const feats = Object.entries(detail.features || s.features || {});
  const perf = detail.performance || [];
  const news = detail.triggering_news;
  const analysis = detail.news_analysis || [];

  mount(view,
    h('p', {}, h('a', { href: '#/signals' }, '← Signals')),
    h('h1', {}, `${s.symbol} · `, h('span', { class: s.side }, s.side), ` · ${s.strategy || ''}`),
    h('div', { class: 'grid' },
      stat('Status', (s.status || '').replace('_', ' ')),
      stat('Confidence', `${fmtNum(s.confidence * 100, 0)}%`),
      stat('Entry', fmtNum(s.entry_price)),
      stat('Target', fmtNum(s.target_price)),
      stat('Stop', fmtNum(s.stop_price)),
      stat(s.status === 'active' ? 'Unrealized' : 'Realized', fmtPct(pnl), signClass(pnl))),
    h('div', { class: 'panel' }, chartErr, chartEl),
    h('div', { class: 'two' },
      h('div', { class: 'panel' }, h('h2', {}, 'Summary'), h('p', { id: 'signal-summary' }, s.summary || '—'),
        h('p', { class: 'muted' }, `Created ${fmtTime(s.created_at)} on the ${s.timeframe || ''} bar of ${fmtTime(s.bar_ts)}`,
          s.exit_at ? ` · closed ${fmtTime(s.exit_at)} at ${fmtNum(s.exit_price)} (${s.exit_reason || s.status})` : '')),
      h('div', { class: 'panel' }, h('h2', {}, 'Features'),
        table([{ title: 'Feature', value: (f) => f[0], class: 'l' }, { title: 'Value', value: (f) => (typeof f[1] === 'number' ? fmtNum(f[1], 4) : JSON.stringify(f[1])) }], feats))),
    h('div', { class: 'panel' }, h('h2', {}, 'News'),
      news ? h('div', {},
        h('p', {}, news.url ? h('a', { href: news.url, rel: 'noopener noreferrer', target: '_blank' }, news.headline || news.url) : (news.headline || ''),
          h('span', { class: 'muted' }, ` — ${news.source || ''}, ${fmtTime(news.published_at)}`)),
        analysis.length ? h('pre', {}, JSON.stringify(analysis, null, 2)) : null)
        : h('p', { class: 'muted' }, 'No news triggered this signal.')),
    h('div', { class: 'panel' }, h('h2', {}, 'Performance history'),
      perf.length ? h('div', { class: 'chart small', id: 'perf-chart' }) : null,
      table([
        { title: 'Bar', value: (p) => fmtTime(p.bar_ts ?? p.ts), class: 'l' },
        { title: 'Price', value: (p) => fmtNum(p.price) },
        { title: 'Unrealized', value: (p) => fmtPct(p.unrealized_pnl_pct), cls: (p) => signClass(p.unrealized_pnl_pct) },
        { title: 'Days held', value: (p) => fmtNum(p.days_held, 1) },
      ], perf.slice(-30).reverse(), { empty: 'No bars since the signal yet.' })));

  const charts = [];
  if (perf.length) {
    charts.push(lineChart(view.querySelector('#perf-chart'), [{
      title: 'P&L %', color: '#38bdf8', area: true,
      points: perf.map((p) => ({ time: p.bar_ts ?? p.ts, value: p.unrealized_pnl_pct })),
    }]));
  }
  try {
    const from = (created ? created.getTime() : Date.now()) - 120 * DAY;
    const to = Math.max(exitAt ? exitAt.getTime() + 20 * DAY : Date.now(), (created?.getTime() || 0) + 5 * DAY);
    const data = await loadBars(s.symbol, from, to, s.timeframe || '1d');
    const bars = api.items(data?.bars ?? data);
    const bb = indicatorSeries(data, 'bbands');
    const rsi = Object.values(indicatorSeries(data, 'rsi'))[0];
    const markers = [{ time: s.bar_ts || s.created_at, position: s.side === 'buy' ? 'belowBar' : 'aboveBar', color: '#38bdf8', shape: s.side === 'buy' ? 'arrowUp' : 'arrowDown', text: `entry ${fmtNum(s.entry_price)}` }];
    if (s.exit_at) markers.push({ time: s.exit_at, position: 'aboveBar', color: '#f59e0b', shape: 'circle', text: `exit ${fmtNum(s.exit_price)}` });
    const firstBar = bars.length ? toDate(bars[0].ts ?? bars[0].time) : null;
    const lastBar = bars.length ? toDate(bars.at(-1).ts ?? bars.at(-1).time) : null;
    const inRange = markers.filter((m) => { const d = toDate(m.time); return firstBar && d >= firstBar && d <= lastBar; });
    charts.push(signalChart(chartEl, {
      bars, bands: { upper: bb.upper || [], middle: bb.middle || [], lower: bb.lower || [] }, rsi,
      markers: inRange,
      lines: [
        { price: s.target_price, color: '#22c55e', title: 'target' },
        { price: s.stop_price, color: '#ef4444', title: 'stop' },
        { price: s.entry_price, color: '#38bdf8', title: 'entry' },
      ],
    }));
    chartEl.dataset.bars = String(bars.length);
  } catch (e) {
    mount(chartErr, errorBox(e));
  }
  return () => charts.forEach((c) => c.remove());
}

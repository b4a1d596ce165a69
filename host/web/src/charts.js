// Charts on TradingView's lightweight-charts (v5, served from /vendor): the
// candlestick chart of a signal (volume, Bollinger bands, an RSI pane, entry
// and exit markers, target and stop lines) and plain line charts for equity
// and drawdown. Times go to the library as UTC seconds.
import {
  createChart, CandlestickSeries, HistogramSeries, LineSeries, AreaSeries, createSeriesMarkers,
} from './vendor/lightweight-charts.mjs';
import { toDate } from './ui.js';

const theme = {
  layout: { background: { color: '#111a2e' }, textColor: '#8a9bb8', attributionLogo: false },
  grid: { vertLines: { color: '#1a2540' }, horzLines: { color: '#1a2540' } },
  rightPriceScale: { borderColor: '#1f2a44' },
  timeScale: { borderColor: '#1f2a44' },
  autoSize: true,
};

export const sec = (t) => Math.floor(toDate(t).getTime() / 1000);

function dedupeSorted(points) {
  const out = [];
  for (const p of points.sort((a, b) => a.time - b.time)) {
    if (out.length && out[out.length - 1].time === p.time) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

// bars: [{ts|time, open, high, low, close, volume}], indicators: {name: [{ts, value}]}
export function signalChart(el, { bars, bands, rsi, markers, lines }) {
  const chart = createChart(el, theme);
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: '#22c55e', downColor: '#ef4444', borderVisible: false,
    wickUpColor: '#22c55e', wickDownColor: '#ef4444',
  });
  candles.setData(dedupeSorted(bars.map((b) => ({
    time: sec(b.ts ?? b.time ?? b.end), open: +b.open, high: +b.high, low: +b.low, close: +b.close,
  }))));
  const volume = chart.addSeries(HistogramSeries, { priceScaleId: 'vol', priceFormat: { type: 'volume' }, color: '#334155' });
  chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  volume.setData(dedupeSorted(bars.map((b) => ({
    time: sec(b.ts ?? b.time ?? b.end), value: +b.volume || 0,
    color: +b.close >= +b.open ? '#14532d' : '#7f1d1d',
  }))));
  for (const [name, points] of Object.entries(bands || {})) {
    const s = chart.addSeries(LineSeries, { color: name === 'middle' ? '#f59e0b' : '#38bdf8', lineWidth: 1, priceLineVisible: false, lastValueVisible: false, title: `BB ${name}` });
    s.setData(dedupeSorted(points.filter((p) => Number.isFinite(+p.value)).map((p) => ({ time: sec(p.ts), value: +p.value }))));
  }
  if (rsi && rsi.length) {
    const s = chart.addSeries(LineSeries, { color: '#a78bfa', lineWidth: 1, title: 'RSI' }, 1);
    s.setData(dedupeSorted(rsi.filter((p) => Number.isFinite(+p.value)).map((p) => ({ time: sec(p.ts), value: +p.value }))));
    s.createPriceLine({ price: 70, color: '#7f1d1d', lineWidth: 1, lineStyle: 2, axisLabelVisible: false });
    s.createPriceLine({ price: 30, color: '#14532d', lineWidth: 1, lineStyle: 2, axisLabelVisible: false });
    const panes = chart.panes();
    if (panes[1]) panes[1].setHeight(110);
  }
  if (markers && markers.length) {
    createSeriesMarkers(candles, markers.map((m) => ({ ...m, time: sec(m.time) })).sort((a, b) => a.time - b.time));
  }
  for (const l of lines || []) {
    if (Number.isFinite(+l.price)) {
      candles.createPriceLine({ price: +l.price, color: l.color, lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: l.title });
    }
  }
  chart.timeScale().fitContent();
  return chart;
}

// points: [{time, value}] (time any form toDate accepts)
export function lineChart(el, series) {
  const chart = createChart(el, theme);
  for (const s of series) {
    const opts = { color: s.color || '#38bdf8', lineWidth: 2, title: s.title || '', priceLineVisible: false };
    const line = s.area
      ? chart.addSeries(AreaSeries, { ...opts, lineColor: s.color, topColor: `${s.color}55`, bottomColor: `${s.color}05`, invertFilledArea: !!s.invert })
      : chart.addSeries(LineSeries, opts);
    line.setData(dedupeSorted(s.points.map((p) => ({ time: sec(p.time), value: +p.value }))));
  }
  chart.timeScale().fitContent();
  return chart;
}

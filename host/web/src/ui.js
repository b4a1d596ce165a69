// Small DOM helpers. Every string from the API goes into the page as text
// (textContent / attribute values), never as HTML, so a headline or a
// strategy name cannot inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function mount(root, ...nodes) {
  root.replaceChildren(...nodes.flat().filter(Boolean));
}

let flashTimer = null;
export function flash(message, isError = false) {
  const el = document.getElementById('flash');
  el.textContent = message;
  el.style.borderColor = isError ? 'var(--sell)' : 'var(--line)';
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { el.textContent = ''; }, 5000);
}

export function errorBox(err) {
  const field = err?.field ? ` (field: ${err.field})` : '';
  return h('div', { class: 'error', role: 'alert' }, `${err?.message || err}${field}`);
}

// Numbers and times (API times are ISO-8601 strings or µs since the epoch).
export function toDate(t) {
  if (t === undefined || t === null || t === '') return null;
  if (typeof t === 'number') return new Date(t > 1e14 ? t / 1000 : t > 1e11 ? t : t * 1000);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}
export const fmtTime = (t) => { const d = toDate(t); return d ? d.toISOString().slice(0, 16).replace('T', ' ') : '—'; };
export const fmtDay = (t) => { const d = toDate(t); return d ? d.toISOString().slice(0, 10) : '—'; };
export function fmtNum(v, digits = 2) {
  return v === undefined || v === null || Number.isNaN(+v) ? '—' : (+v).toFixed(digits);
}
export function fmtPct(v, digits = 2) {
  if (v === undefined || v === null || Number.isNaN(+v)) return '—';
  return `${+v > 0 ? '+' : ''}${(+v).toFixed(digits)}%`;
}
export const signClass = (v) => (+v > 0 ? 'pos' : +v < 0 ? 'neg' : '');
export const daysBetween = (a, b) => {
  const da = toDate(a), db = toDate(b) || new Date();
  return da ? (db - da) / 86400000 : null;
};

// A table from column specs {title, value(row) -> text|Node, class?}.
export function table(columns, rows, { onRow, rowKey, empty = 'Nothing yet.' } = {}) {
  const head = h('tr', {}, columns.map((c) => h('th', { class: c.class, scope: 'col' }, c.title)));
  const body = h('tbody');
  for (const r of rows) body.append(tableRow(columns, r, onRow, rowKey));
  const t = h('table', {}, h('thead', {}, head), body);
  const wrap = h('div', { class: 'scroll' }, t);
  if (!rows.length) wrap.append(h('p', { class: 'muted' }, empty));
  return wrap;
}

export function tableRow(columns, r, onRow, rowKey) {
  const tr = h('tr', { class: onRow ? 'row-link' : '' });
  if (rowKey) tr.dataset.key = rowKey(r);
  for (const c of columns) {
    const v = c.value(r);
    const cls = [c.class, typeof c.cls === 'function' ? c.cls(r) : c.cls].filter(Boolean).join(' ');
    tr.append(h('td', { class: cls }, v instanceof Node ? v : String(v ?? '—')));
  }
  if (onRow) tr.addEventListener('click', () => onRow(r));
  return tr;
}

export function stat(label, value, cls = '') {
  return h('div', { class: 'stat' }, h('div', { class: 'k' }, label), h('div', { class: `v ${cls}` }, value));
}

export function badge(text) { return h('span', { class: `badge ${text}` }, text); }

// Navigates to `hash`, re-rendering even when it is the current one.
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// The dashboard shell: a hash router over the pages, the session header, and
// the live connection. Pages are modules exporting render(view, params) that
// may return a cleanup function (run when the user navigates away).
import * as api from './api.js';
import * as stream from './stream.js';
import { flash } from './ui.js';

const pages = {
  login: () => import('./pages/login.js'),
  signals: () => import('./pages/signals.js'),
  signal: () => import('./pages/signal.js'),
  performance: () => import('./pages/performance.js'),
  backtests: () => import('./pages/backtests.js'),
  alerts: () => import('./pages/alerts.js'),
  admin: () => import('./pages/admin.js'),
};

let cleanup = null;

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  return { page: page || 'signals', args: rest.map(decodeURIComponent), query: new URLSearchParams(query) };
}

async function route() {
  const view = document.getElementById('view');
  let { page, args, query } = parseHash();
  if (!api.signedIn() && page !== 'login') {
    page = 'login';
  }
  if (!pages[page]) page = 'signals';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === page || (page === 'signal' && a.dataset.page === 'signals'));
  }
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  view.dataset.page = page;
  try {
    const mod = await pages[page]();
    const result = await mod.render(view, { args, query });
    if (typeof result === 'function') cleanup = result;
  } catch (err) {
    view.replaceChildren();
    const box = document.createElement('div');
    box.className = 'error';
    box.textContent = `This page failed to load: ${err.message || err}`;
    view.append(box);
  }
}

function showSession(me) {
  const on = !!me;
  document.getElementById('nav').hidden = !on;
  document.getElementById('who').hidden = !on;
  if (on) {
    document.getElementById('who-email').textContent = me.email || '';
    document.getElementById('who-tier').textContent = me.tier || '';
    document.querySelector('#nav [data-admin]').hidden = me.tier !== 'admin';
    if (me.tier !== 'free') stream.start();
  } else {
    stream.stop();
    if (parseHash().page !== 'login') location.hash = '#/login';
  }
}

api.onSessionChange((me) => { showSession(me); if (!me) route(); });
stream.onStatus((on) => document.getElementById('live').classList.toggle('on', on));
document.getElementById('logout').addEventListener('click', () => { api.signOut(); flash('Signed out.'); });
window.addEventListener('hashchange', route);
route();

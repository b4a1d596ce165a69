// Admin: strategies with version, status and load errors (a refused reload
// shows here while the old version keeps running), plugins, users and their
// tiers, and system health. Refreshes every 3 s while open.
import * as api from '../api.js';
import { h, mount, table, errorBox, flash, badge, fmtTime } from '../ui.js';

const TIERS = ['free', 'premium', 'pro', 'admin'];

export async function render(view) {
  const me = api.me() || {};
  if (me.tier !== 'admin') {
    mount(view, h('h1', {}, 'Admin'), h('div', { class: 'notice' }, 'This page is for administrators.'));
    return undefined;
  }
  const strategiesEl = h('div', { class: 'panel', id: 'admin-strategies' });
  const pluginsEl = h('div', { class: 'panel', id: 'admin-plugins' });
  const usersEl = h('div', { class: 'panel', id: 'admin-users' });
  const systemEl = h('div', { class: 'panel', id: 'admin-system' });
  mount(view, h('h1', {}, 'Admin'), strategiesEl, pluginsEl, usersEl, systemEl);

  async function section(el, title, fn) {
    try { await fn(); } catch (e) { mount(el, h('h2', {}, title), errorBox(e)); }
  }
  async function strategies() {
    const rows = api.items(await api.get('/admin/strategies'));
    mount(strategiesEl, h('h2', {}, 'Strategies'), table([
      { title: 'Name', value: (s) => s.name || s.file, class: 'l' },
      { title: 'File', value: (s) => s.file, class: 'l' },
      { title: 'State', value: (s) => badge(s.state || s.status || '') },
      { title: 'Version', value: (s) => (s.active_version || s.version || '').slice(0, 12), class: 'l' },
      { title: 'Pending', value: (s) => (s.pending_version || '').slice(0, 12), class: 'l' },
      { title: 'Reloads', value: (s) => s.reloads ?? '—' },
      { title: 'Refused', value: (s) => s.refused ?? '—' },
      { title: 'Last error', value: (s) => s.last_error || s.load_errors || '', class: 'l', cls: (s) => ((s.last_error || s.load_errors) ? 'neg' : '') },
      { title: 'Loaded', value: (s) => fmtTime(s.loaded_at || s.loaded_at_us) },
    ], rows, { rowKey: (s) => s.file || s.name, empty: 'No strategies loaded.' }));
  }
  async function plugins() {
    const rows = api.items(await api.get('/admin/plugins'));
    mount(pluginsEl, h('h2', {}, 'Plugins'), table([
      { title: 'Name', value: (p) => p.name, class: 'l' },
      { title: 'Version', value: (p) => p.version, class: 'l' },
      { title: 'Vendor', value: (p) => p.vendor || '', class: 'l' },
      { title: 'Components', value: (p) => (p.components || []).map((c) => c.name || c).join(', '), class: 'l' },
      { title: 'Path', value: (p) => p.path || '', class: 'l' },
    ], rows));
  }
  async function users() {
    const rows = api.items(await api.get('/admin/users'));
    mount(usersEl, h('h2', {}, 'Users'), table([
      { title: 'Email', value: (u) => u.email, class: 'l' },
      { title: 'Tier', value: (u) => {
        const sel = h('select', { 'aria-label': `tier of ${u.email}` }, TIERS.map((t) => h('option', { value: t, selected: t === u.tier }, t)));
        sel.addEventListener('change', async () => {
          try { await api.patch(`/admin/users/${u.id}`, { tier: sel.value }); flash(`${u.email} is now ${sel.value}.`); } catch (e) { flash(e.message, true); }
        });
        return sel;
      } },
      { title: 'State', value: (u) => badge(u.status || 'active') },
      { title: 'Created', value: (u) => fmtTime(u.created_at) },
    ], rows));
  }
  async function system() {
    const data = await api.get('/admin/system');
    mount(systemEl, h('h2', {}, 'System'), h('pre', {}, JSON.stringify(data, null, 2)));
  }
  const refresh = () => Promise.all([
    section(strategiesEl, 'Strategies', strategies), section(systemEl, 'System', system)]);
  await Promise.all([refresh(), section(pluginsEl, 'Plugins', plugins), section(usersEl, 'Users', users)]);
  const timer = setInterval(refresh, 3000);
  return () => clearInterval(timer);
}

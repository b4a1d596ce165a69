// Alerts: the user's alert rules (channel, destination, filters), create,
// pause/resume, delete, and "send a test" through the real delivery path.
import * as api from '../api.js';
import { h, mount, table, errorBox, flash, badge, fmtTime } from '../ui.js';

const CHANNELS = ['email', 'webhook', 'telegram', 'slack', 'discord'];

export async function render(view) {
  const status = h('div');
  const listEl = h('div', { class: 'panel', id: 'alerts-list' }, h('p', { class: 'muted' }, 'Loading…'));
  const f = {
    channel: h('select', { name: 'channel' }, CHANNELS.map((c) => h('option', { value: c }, c))),
    destination: h('input', { name: 'destination', placeholder: 'you@example.com or https://…', size: 30, required: true }),
    symbols: h('input', { name: 'symbols', placeholder: 'AAPL,MSFT (all)', size: 14 }),
    strategies: h('input', { name: 'strategies', placeholder: 'mean_reversion (all)', size: 16 }),
    min_confidence: h('input', { name: 'min_confidence', type: 'number', min: 0, max: 1, step: 0.05, placeholder: '0.7', size: 5 }),
  };
  const form = h('form', { class: 'inline', id: 'alert-form' },
    h('label', {}, 'Channel', f.channel), h('label', {}, 'Destination', f.destination),
    h('label', {}, 'Symbols', f.symbols), h('label', {}, 'Strategies', f.strategies),
    h('label', {}, 'Min conf.', f.min_confidence), h('button', { type: 'submit' }, 'Add alert'));

  async function load() {
    try {
      const rows = api.items(await api.get('/alerts'));
      mount(listEl, table([
        { title: 'Channel', value: (a) => a.channel, class: 'l' },
        { title: 'Destination', value: (a) => a.destination, class: 'l' },
        { title: 'Filters', value: (a) => JSON.stringify(a.filters || {}), class: 'l' },
        { title: 'State', value: (a) => badge(a.active === false ? 'disabled' : 'active') },
        { title: 'Created', value: (a) => fmtTime(a.created_at) },
        { title: '', value: (a) => h('span', {},
          h('button', { type: 'button', class: 'secondary', 'data-test': a.id, onclick: () => sendTest(a) }, 'Send test'), ' ',
          h('button', { type: 'button', class: 'secondary', onclick: () => toggle(a) }, a.active === false ? 'Resume' : 'Pause'), ' ',
          h('button', { type: 'button', class: 'danger', onclick: () => remove(a) }, 'Delete')) },
      ], rows, { rowKey: (a) => String(a.id), empty: 'No alerts yet. Add one above.' }));
    } catch (e) {
      mount(status, errorBox(e));
    }
  }
  async function sendTest(a) {
    try {
      await api.post(`/alerts/${a.id}/test`, {});
      flash(`Test queued to ${a.destination}.`);
    } catch (e) { flash(e.message, true); }
  }
  async function toggle(a) {
    try { await api.patch(`/alerts/${a.id}`, { active: a.active === false }); load(); } catch (e) { flash(e.message, true); }
  }
  async function remove(a) {
    try { await api.del(`/alerts/${a.id}`); load(); } catch (e) { flash(e.message, true); }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    mount(status);
    const filters = {};
    const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
    if (f.symbols.value.trim()) filters.symbols = list(f.symbols.value.toUpperCase());
    if (f.strategies.value.trim()) filters.strategies = list(f.strategies.value);
    if (f.min_confidence.value) filters.min_confidence = +f.min_confidence.value;
    try {
      await api.post('/alerts', { kind: 'new_signal', channel: f.channel.value, destination: f.destination.value.trim(), filters });
      f.destination.value = '';
      flash('Alert added.');
      load();
    } catch (e) {
      mount(status, errorBox(e));
    }
  });
  mount(view, h('h1', {}, 'Alerts'), status, h('div', { class: 'panel' }, form), listEl);
  await load();
}

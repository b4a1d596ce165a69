// Sign in / sign up with the account API (POST /auth/login, /auth/register).
import * as api from '../api.js';
import { h, mount, errorBox, go } from '../ui.js';

export function render(view) {
  let mode = 'login';
  const err = h('div');
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, minlength: 8 });
  const submit = h('button', { type: 'submit', id: 'auth-submit' }, 'Sign in');
  const title = h('h1', {}, 'Sign in');
  const toggle = h('button', { type: 'button', class: 'link', id: 'auth-toggle' }, 'New here? Create an account');
  toggle.addEventListener('click', () => {
    mode = mode === 'login' ? 'register' : 'login';
    title.textContent = mode === 'login' ? 'Sign in' : 'Create an account';
    submit.textContent = mode === 'login' ? 'Sign in' : 'Sign up';
    password.autocomplete = mode === 'login' ? 'current-password' : 'new-password';
    toggle.textContent = mode === 'login' ? 'New here? Create an account' : 'Have an account? Sign in';
  });
  const form = h('form', { id: 'auth-form' },
    h('label', {}, 'Email', email),
    h('label', {}, 'Password', password),
    submit, toggle);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    mount(err);
    try {
      if (mode === 'login') await api.login(email.value.trim(), password.value);
      else await api.register(email.value.trim(), password.value);
      password.value = '';
      go('#/signals');
    } catch (e) {
      mount(err, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  });
  mount(view, h('div', { class: 'auth panel' }, title,
    h('p', { class: 'muted' }, 'Trading signals from Lua strategies, tracked to their outcome.'),
    err, form));
  email.focus();
}

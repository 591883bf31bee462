// Login with etcd's own auth: user and password go to Authenticate once; only
// the token it returns is kept (in sessionStorage, for this tab).
import { h, errorBox } from '../lib/dom.js';
import { gw, session } from '../lib/api.js';

/** @param {string | undefined} why @param {(user: string) => Promise<void>} done */
export function loginForm(why, done) {
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div');
  const form = h('form.login', { onsubmit: submit },
    h('h2', null, 'Log in to etcd'),
    why ? h('p.muted', null, why) : null,
    h('label', null, 'User', user),
    h('label', null, 'Password', password),
    h('button.primary', { type: 'submit' }, 'Log in'),
    status);
  async function submit(e) {
    e.preventDefault();
    status.replaceChildren();
    try {
      const r = await gw('/v3/auth/authenticate', { name: user.value, password: password.value }, { auth: false });
      password.value = '';
      session.set(user.value, r.token);
      await done(user.value);
    } catch (err) {
      status.append(errorBox(err));
    }
  }
  return form;
}

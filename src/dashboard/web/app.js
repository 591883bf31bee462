// The dashboard's shell: finds out whether the member wants a login, keeps the
// session, and mounts one view at a time by the location's hash
// (#/cluster, #/keys?p=…&k=…, #/watch, #/leases, #/access, #/metrics).
import { h, fill, errorBox } from './lib/dom.js';
import { ApiError, authRequired, gw, session, whenUnauthenticated } from './lib/api.js';
import * as cluster from './views/cluster.js';
import * as keys from './views/keys.js';
import * as watch from './views/watch.js';
import * as leases from './views/leases.js';
import * as access from './views/access.js';
import * as metrics from './views/metrics.js';
import { loginForm } from './views/login.js';

/** @type {Array<[string, string, { mount: (root: HTMLElement, params: URLSearchParams) => () => void }]>} */
const VIEWS = [
  ['cluster', 'Cluster', cluster],
  ['keys', 'Keys', keys],
  ['watch', 'Watch', watch],
  ['leases', 'Leases', leases],
  ['access', 'Users & roles', access],
  ['metrics', 'Metrics', metrics],
];

/** What every view may ask of the shell. */
export const app = {
  /** Whether the member has auth enabled. */
  authOn: false,
  /** Roles of the logged-in user (empty with auth off). @type {string[]} */
  roles: [],
  /** Whether the user may do what only root may (always, with auth off). */
  get admin() {
    return !this.authOn || this.roles.includes('root');
  },
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
/** @type {(() => void) | undefined} */
let unmount;

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { name: path || 'cluster', params: new URLSearchParams(query) };
}

function route() {
  unmount?.();
  unmount = undefined;
  const { name, params } = parseHash();
  const found = VIEWS.find(([n]) => n === name) ?? VIEWS[0];
  fill(nav, VIEWS.map(([n, label]) => h('a', { href: `#/${n}`, class: n === found[0] ? 'active' : undefined, 'data-view': n }, label)));
  fill(main);
  const view = h('section.view', { 'data-view': found[0] });
  main.append(view);
  unmount = found[2].mount(view, params);
}

function showWho() {
  if (!app.authOn) return fill(who, h('span.muted', null, 'auth disabled'));
  fill(who, h('span', { 'data-user': session.user }, `user ${session.user}`), ' ', h('button.link', { type: 'button', onclick: logout }, 'Log out'));
}

function logout() {
  session.clear();
  location.hash = '#/cluster';
  showLogin();
}

/** @param {string} [why] */
function showLogin(why) {
  unmount?.();
  unmount = undefined;
  fill(nav);
  fill(who);
  fill(main, loginForm(why, async (user) => {
    await loadRoles(user);
    showWho();
    route();
  }));
}

/** @param {string} user */
async function loadRoles(user) {
  try {
    app.roles = (await gw('/v3/auth/user/get', { name: user })).roles ?? [];
  } catch {
    app.roles = [];
  }
}

async function start() {
  metrics.startSampling();
  try {
    app.authOn = await authRequired();
  } catch (err) {
    fill(main, errorBox(err));
    return;
  }
  whenUnauthenticated((err) => {
    if (!app.authOn) return;
    session.clear();
    showLogin(`Logged out: ${err.message}`);
  });
  window.addEventListener('hashchange', () => {
    if (app.authOn && !session.token) showLogin();
    else route();
  });
  if (app.authOn && !session.token) return showLogin();
  if (app.authOn) await loadRoles(session.user);
  showWho();
  route();
}

window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof ApiError) e.preventDefault();
});
void start();

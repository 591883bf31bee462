// Users and roles: each user with its roles, each role with its permissions as
// key ranges (a key, a prefix, everything from a key, or [key, end)). Listing all
// users and roles takes root; any other user sees itself and its own roles, as
// etcd lets it.
import { h, fill, errorBox } from '../lib/dom.js';
import { gw, session } from '../lib/api.js';
import { displayKey, fromBase64, prefixEnd, toBase64 } from '../lib/bytes.js';
import { app } from '../app.js';

/** A permission's range as etcdctl role get describes it. */
export function describeRange(keyB64, endB64) {
  const key = fromBase64(keyB64 ?? '');
  const end = fromBase64(endB64 ?? '');
  if (end.length === 0) return `key ${displayKey(key)}`;
  if (end.length === 1 && end[0] === 0) return key.length === 1 && key[0] === 0 ? 'every key' : `every key from ${displayKey(key)}`;
  if (toBase64(prefixEnd(key)) === toBase64(end)) return `prefix ${displayKey(key)}`;
  return `[${displayKey(key)}, ${displayKey(end)})`;
}

/** @param {HTMLElement} root */
export function mount(root) {
  const body = h('div', null, h('p.muted', null, 'Loading…'));
  fill(root, h('h2', null, 'Users & roles'), app.authOn ? null : h('p.muted', null, 'Auth is disabled on this cluster: every client may do everything.'), body);
  void render(body);
  return () => {};
}

async function render(body) {
  let users;
  let roles;
  let own = false;
  try {
    users = (await gw('/v3/auth/user/list', {})).users ?? [];
    roles = (await gw('/v3/auth/role/list', {})).roles ?? [];
  } catch (err) {
    if (!app.authOn) return fill(body, errorBox(err));
    // Not root: what etcd lets a user see of itself.
    own = true;
    users = [session.user];
    roles = app.roles;
  }
  try {
    const userRoles = await Promise.all(users.map((name) => gw('/v3/auth/user/get', { name }).then((r) => r.roles ?? [])));
    const perms = await Promise.all(roles.map((role) => gw('/v3/auth/role/get', { role }).then((r) => r.perm ?? [])));
    fill(body,
      own ? h('p.muted', null, 'Only root may list every user and role; these are yours.') : null,
      h('div.columns', null,
        h('div', null, h('h3', null, 'Users'), h('table.grid', null,
          h('thead', null, h('tr', null, h('th', null, 'User'), h('th', null, 'Roles'))),
          h('tbody', null, users.map((u, i) => h('tr', { 'data-user-row': u }, h('td', null, u), h('td', null, userRoles[i].join(', ') || h('span.muted', null, 'none'))))))),
        h('div', null, h('h3', null, 'Roles'), h('table.grid', null,
          h('thead', null, h('tr', null, h('th', null, 'Role'), h('th', null, 'Permission'), h('th', null, 'Range'))),
          h('tbody', null, roles.flatMap((role, i) => {
            const ps = perms[i];
            if (role === 'root') return [h('tr', { 'data-role-row': role }, h('td', null, role), h('td', null, 'everything'), h('td', null, 'all keys, all admin operations'))];
            if (ps.length === 0) return [h('tr', { 'data-role-row': role }, h('td', null, role), h('td.muted', null, 'none'), h('td', null, ''))];
            return ps.map((p, j) => h('tr', { 'data-role-row': role }, h('td', null, j === 0 ? role : ''), h('td', null, p.permType ?? 'READ'), h('td.mono', null, describeRange(p.key, p.range_end))));
          }))))));
  } catch (err) {
    fill(body, errorBox(err));
  }
}

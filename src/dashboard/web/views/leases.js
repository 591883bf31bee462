// Leases: every lease with its TTL left, granted TTL and attached keys; revoke
// behind a confirmation. Refreshed every five seconds.
import { h, fill, errorBox, hexId, confirmDialog } from '../lib/dom.js';
import { gw } from '../lib/api.js';
import { displayKey, fromBase64 } from '../lib/bytes.js';
import { keysLink } from './keys.js';

const SHOWN = 200;

/** @param {HTMLElement} root */
export function mount(root) {
  const body = h('div');
  fill(root, h('h2', null, 'Leases'), body);
  let stopped = false;
  let timer;
  const tick = async () => {
    try {
      fill(body, await render());
    } catch (err) {
      fill(body, errorBox(err));
    }
    if (!stopped) timer = setTimeout(tick, 5000);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function render() {
  const ids = ((await gw('/v3/lease/leases', {})).leases ?? []).map((l) => l.ID);
  if (ids.length === 0) return h('p.muted', null, 'No leases.');
  const shown = ids.slice(0, SHOWN);
  const infos = await Promise.all(shown.map((ID) => gw('/v3/lease/timetolive', { ID, keys: true }).catch((err) => ({ ID, error: err }))));
  return h('div', null,
    h('p.muted', null, `${ids.length} lease${ids.length === 1 ? '' : 's'}${ids.length > SHOWN ? `, the first ${SHOWN} shown` : ''}.`),
    h('table.grid', null,
      h('thead', null, h('tr', null, ...['ID', 'TTL left', 'Granted TTL', 'Keys', ''].map((c) => h('th', null, c)))),
      h('tbody', null, infos.map((t) => h('tr', { 'data-lease': hexId(t.ID) },
        h('td.mono', null, hexId(t.ID)),
        h('td', null, t.error ? errorBox(t.error) : t.TTL === '-1' ? 'expired' : `${t.TTL} s`),
        h('td', null, t.grantedTTL ? `${t.grantedTTL} s` : ''),
        h('td.mono', null, (t.keys ?? []).map((k) => h('div', null, h('a', { href: keysLink(undefined, k) }, displayKey(fromBase64(k)))))),
        h('td', null, h('button.danger', { type: 'button', onclick: () => revoke(t.ID) }, 'Revoke')))))));
}

async function revoke(id) {
  if (!(await confirmDialog('Revoke lease', `Revoke lease ${hexId(id)}? Its keys are deleted with it.`, 'Revoke'))) return;
  try {
    await gw('/v3/lease/revoke', { ID: id });
  } catch (err) {
    alert(err.message);
  }
}


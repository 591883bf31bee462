// Watch: a live tail of a prefix (or one key) through the gateway's watch
// stream, from now or from a revision. Pausing ends the stream and remembers the
// last revision seen; resuming watches again from the next one, so nothing is
// lost and nothing piles up while paused.
import { h, fill, errorBox } from '../lib/dom.js';
import { stream } from '../lib/api.js';
import { displayKey, fromBase64, prefixEnd, toBase64, utf8OrUndefined } from '../lib/bytes.js';
import { keysLink } from './keys.js';

const MAX_ROWS = 500;
const enc = new TextEncoder();

/** @param {HTMLElement} root */
export function mount(root) {
  const prefix = h('input', { name: 'watch-prefix', placeholder: 'prefix, e.g. /registry/pods/', value: '' });
  const isPrefix = h('input', { type: 'checkbox', name: 'watch-is-prefix', checked: true });
  const from = h('input', { name: 'watch-from', placeholder: 'now', size: 10, inputmode: 'numeric' });
  const start = h('button.primary', { type: 'submit' }, 'Watch');
  const pause = h('button', { type: 'button', disabled: true, onclick: () => (ac ? stop(true) : resume()) }, 'Pause');
  const status = h('div.muted', { 'data-watch-status': '' }, 'Not watching.');
  const rows = h('tbody');
  let ac;
  let lastRev = 0;
  let spec;
  let count = 0;

  const form = h('form.bar', { onsubmit: (e) => {
    e.preventDefault();
    stop(false);
    fill(rows);
    count = 0;
    const key = enc.encode(prefix.value);
    spec = {
      key: key.length ? key : new Uint8Array([0]),
      end: isPrefix.checked ? (key.length ? prefixEnd(key) : new Uint8Array([0])) : undefined,
    };
    lastRev = from.value ? Number(from.value) - 1 : 0;
    run();
  } }, h('label', null, 'Key or prefix ', prefix), h('label.check', null, isPrefix, ' prefix'), h('label', null, 'from revision ', from), start, pause);

  function run() {
    ac = new AbortController();
    pause.disabled = false;
    pause.textContent = 'Pause';
    const req = { create_request: { key: toBase64(spec.key), ...(spec.end ? { range_end: toBase64(spec.end) } : {}), prev_kv: true, ...(lastRev > 0 ? { start_revision: String(lastRev + 1) } : {}) } };
    const signal = ac.signal;
    stream('/v3/watch', [req], (r) => onResult(r), signal).catch((err) => {
      if (signal.aborted) return;
      fill(status, errorBox(err));
      ac = undefined;
    });
  }

  function onResult(r) {
    if (r.created) fill(status, `Watching ${displayKey(spec.key)}${spec.end ? ' (prefix)' : ''} since revision ${lastRev > 0 ? lastRev + 1 : Number(r.header?.revision ?? 0) + 1}.`);
    if (r.canceled) {
      fill(status, errorBox(r.cancel_reason || (r.compact_revision ? `revision compacted; the oldest you can watch from is ${r.compact_revision}` : 'watch canceled')));
      ac?.abort();
      ac = undefined;
      pause.disabled = true;
      return;
    }
    for (const ev of r.events ?? []) {
      const kv = ev.kv ?? {};
      const rev = Number(kv.mod_revision ?? 0);
      lastRev = Math.max(lastRev, rev);
      const type = ev.type ?? 'PUT';
      const value = fromBase64(type === 'DELETE' ? (ev.prev_kv?.value ?? '') : (kv.value ?? ''));
      const text = utf8OrUndefined(value);
      const preview = text !== undefined && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? text.slice(0, 200) : `<${value.length} bytes>`;
      rows.prepend(h('tr', { 'data-event': type, 'data-key': displayKey(fromBase64(kv.key ?? '')) },
        h('td', null, new Date().toLocaleTimeString()),
        h('td', null, h('span', { class: `tag ${type === 'DELETE' ? 'del' : 'put'}` }, type)),
        h('td.mono', null, h('a', { href: keysLink(undefined, kv.key) }, displayKey(fromBase64(kv.key ?? '')))),
        h('td', null, String(rev)),
        h('td.mono.preview', null, type === 'DELETE' ? (value.length ? `was: ${preview}` : '') : preview)));
      if (++count > MAX_ROWS) rows.lastChild?.remove();
    }
  }

  function stop(paused) {
    if (ac) {
      ac.abort();
      ac = undefined;
    }
    if (paused) {
      pause.textContent = 'Resume';
      fill(status, `Paused after revision ${lastRev}; resuming continues from ${lastRev + 1}.`);
    }
  }

  function resume() {
    if (spec) run();
  }

  fill(root, h('h2', null, 'Watch'), form, status,
    h('table.grid.events', null, h('thead', null, h('tr', null, ...['Time', 'Type', 'Key', 'Revision', 'Value'].map((c) => h('th', null, c)))), rows));
  return () => stop(false);
}

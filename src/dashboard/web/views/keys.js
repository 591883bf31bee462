// Keys: the key space as a tree by "/" (one level at a time, paged, with the
// number of keys under each directory), and the selected key: its value decoded
// (Kubernetes objects, JSON, text, or hex), its lease, its history with a diff
// between two revisions, and edit, create and delete behind a confirmation.
import { h, fill, errorBox, formatBytes, hexId, confirmDialog } from '../lib/dom.js';
import { dash, gw, session, ApiError, PERMISSION_DENIED } from '../lib/api.js';
import { displayKey, fromBase64, hexDump, prefixEnd, textToBase64, toBase64, utf8OrUndefined } from '../lib/bytes.js';
import { lineDiff } from '../lib/diff.js';
import { app } from '../app.js';

const PAGE = 200;
const enc = new TextEncoder();

/** Link to the keys view at a prefix, with a key selected. */
export function keysLink(prefixB64, keyB64) {
  if (prefixB64 === undefined && keyB64 !== undefined) prefixB64 = toBase64(parentOf(fromBase64(keyB64)));
  const q = [];
  if (prefixB64 !== undefined) q.push(`p=${encodeURIComponent(prefixB64)}`);
  if (keyB64 !== undefined) q.push(`k=${encodeURIComponent(keyB64)}`);
  return `#/keys${q.length ? '?' + q.join('&') : ''}`;
}

/** The parent prefix a key sits under in the tree. @param {Uint8Array} key */
function parentOf(key) {
  const i = key.lastIndexOf(0x2f, key.length - 2);
  return i < 0 ? new Uint8Array(0) : key.subarray(0, i + 1);
}

/** @param {HTMLElement} root @param {URLSearchParams} params */
export function mount(root, params) {
  const prefix = fromBase64(params.get('p') ?? '');
  const selected = params.has('k') ? fromBase64(params.get('k')) : undefined;
  const tree = h('div.tree');
  const detail = h('div.detail');
  const goto = h('input', { name: 'goto', placeholder: 'Go to a prefix or key, e.g. /registry/', value: displayKey(selected ?? prefix) });
  const bar = h('form.bar', { onsubmit: (e) => {
    e.preventDefault();
    const b = enc.encode(goto.value);
    location.hash = goto.value.endsWith('/') || goto.value === '' ? keysLink(toBase64(b)) : keysLink(toBase64(parentOf(b)), toBase64(b));
  } }, goto, h('button', { type: 'submit' }, 'Go'), h('button', { type: 'button', onclick: () => newKey(detail, prefix) }, 'New key'));
  fill(root, h('h2', null, 'Keys'), bar, h('div.split', null, tree, detail));
  void loadLevel(tree, prefix);
  if (selected) void showKey(detail, selected);
  else fill(detail, h('p.muted', null, 'Select a key to see its value, lease and history.'));
  return () => {};
}

/** Breadcrumbs: each "/"-segment of the prefix links to its level. @param {Uint8Array} prefix */
function crumbs(prefix) {
  /** @type {any[]} */
  const parts = [h('a', { href: keysLink('') }, '(root)')];
  let start = 0;
  for (let i = 1; i < prefix.length; i++) {
    if (prefix[i] !== 0x2f) continue;
    const p = prefix.subarray(0, i + 1);
    parts.push(' ', h('a', { href: keysLink(toBase64(p)) }, displayKey(prefix.subarray(start, i + 1))));
    start = i + 1;
  }
  return h('div.crumbs', null, parts);
}

/** @param {HTMLElement} tree @param {Uint8Array} prefix */
async function loadLevel(tree, prefix) {
  const list = h('ul.children');
  const info = h('div.muted');
  fill(tree, crumbs(prefix), info, list);
  const page = async (after) => {
    let r;
    try {
      r = await dash('tree', { prefix: toBase64(prefix), limit: PAGE, ...(after ? { after } : {}) });
    } catch (err) {
      list.append(h('li', null, errorBox(err)));
      if (err instanceof ApiError && err.code === PERMISSION_DENIED) list.append(await readableRanges());
      return;
    }
    fill(info, `${r.total.toLocaleString('en-US')} key${r.total === 1 ? '' : 's'} under this prefix · revision ${r.revision}`);
    for (const c of r.children) {
      const name = displayKey(fromBase64(c.name));
      list.append(c.dir
        ? h('li.dir', null, h('a', { href: keysLink(c.key), 'data-dir': name }, name), h('span.count', null, c.count.toLocaleString('en-US')))
        : h('li.key', null, h('a', { href: keysLink(toBase64(prefix), c.key), 'data-key': name }, name === '' ? '(the prefix itself)' : name)));
    }
    if (r.children.length === 0 && !after) list.append(h('li.muted', null, 'No keys here.'));
    if (r.next) {
      const more = h('li', null, h('button.link', { type: 'button', onclick: () => { more.remove(); void page(r.next); } }, 'More…'));
      list.append(more);
    }
  };
  await page(undefined);
}

/** For a user who may not read everything: where they may start. */
async function readableRanges() {
  const box = h('li.readable');
  try {
    const roles = (await gw('/v3/auth/user/get', { name: session.user })).roles ?? [];
    const perms = (await Promise.all(roles.map((role) => gw('/v3/auth/role/get', { role })))).flatMap((r) => r.perm ?? []);
    const readable = perms.filter((p) => (p.permType ?? 'READ') !== 'WRITE');
    if (readable.length === 0) return fill(box, h('span.muted', null, 'Your roles grant no reads.'));
    fill(box, h('span.muted', null, 'Your roles may read:'), h('ul', null, readable.map((p) => {
      const key = fromBase64(p.key);
      const end = fromBase64(p.range_end ?? '');
      const isPrefix = end.length > 0 && toBase64(prefixEnd(key)) === toBase64(end);
      return h('li', null, isPrefix ? h('a', { href: keysLink(p.key) }, `prefix ${displayKey(key)}`) : h('a', { href: keysLink(toBase64(parentOf(key)), p.key) }, displayKey(key)));
    })));
  } catch (err) {
    fill(box, errorBox(err));
  }
  return box;
}

/** The value as the view shows it: decoded text, and whether it can be edited as text. */
function valueText(view, bytes) {
  switch (view.form) {
    case 'k8s':
      return { label: `Kubernetes ${view.object.kind ?? 'object'} (${view.object.apiVersion ?? ''}), decoded from protobuf`, text: view.yaml, editable: false };
    case 'json':
      return { label: 'JSON', text: JSON.stringify(view.object, null, 2), editable: true };
    case 'text':
      return { label: 'Text', text: view.text, editable: true };
    case 'empty':
      return { label: 'Empty value', text: '', editable: true };
    default:
      return { label: `Binary, ${bytes.length} bytes (hex)`, text: hexDump(bytes), editable: false };
  }
}

/** @param {HTMLElement} detail @param {Uint8Array} key */
async function showKey(detail, key) {
  fill(detail, h('p.muted', null, 'Loading…'));
  let r;
  try {
    r = await dash('value', { key: toBase64(key) });
  } catch (err) {
    return fill(detail, h('h3.key', null, displayKey(key)), errorBox(err));
  }
  if (!r.kv) return fill(detail, h('h3.key', null, displayKey(key)), h('p.muted', null, `No such key at revision ${r.revision}.`));
  const kv = r.kv;
  const bytes = fromBase64(kv.value);
  const shown = valueText(r.view, bytes);
  const leaseBox = h('span');
  const historyBox = h('div.history');
  const status = h('div');
  const pre = h('pre.value', { 'data-form': r.view.form }, shown.text);
  const actions = h('div.buttons', null,
    shown.editable ? h('button', { type: 'button', onclick: () => edit() }, 'Edit') : null,
    h('button.danger', { type: 'button', onclick: () => remove() }, 'Delete'),
    h('button', { type: 'button', onclick: () => loadHistory(historyBox, key) }, 'History'));
  fill(detail,
    h('h3.key', { 'data-selected': displayKey(key) }, displayKey(key)),
    h('dl.meta', null,
      h('dt', null, 'Revision'), h('dd', { 'data-mod-revision': kv.mod_revision }, `modified ${kv.mod_revision}, created ${kv.create_revision}`),
      h('dt', null, 'Version'), h('dd', null, String(kv.version)),
      h('dt', null, 'Size'), h('dd', null, formatBytes(kv.size)),
      h('dt', null, 'Lease'), h('dd', null, leaseBox)),
    h('div.value-label', null, shown.label),
    pre, actions, status, historyBox);
  if (kv.lease !== '0') void showLease(leaseBox, kv.lease);
  else fill(leaseBox, 'none');

  function edit() {
    const area = h('textarea.editor', { rows: Math.min(30, Math.max(4, shown.text.split('\n').length + 1)) });
    // Text is edited as stored; JSON as stored too, so saving changes only what was typed.
    area.value = r.view.form === 'json' ? (utf8OrUndefined(bytes) ?? shown.text) : shown.text;
    const save = h('button.primary', { type: 'button', onclick: async () => {
      if (!(await confirmDialog('Save value', `Write the new value of ${displayKey(key)}? It replaces the value at revision ${kv.mod_revision}.`, 'Save'))) return;
      try {
        const put = await gw('/v3/kv/put', { key: toBase64(key), value: textToBase64(area.value), ...(kv.lease !== '0' ? { lease: kv.lease } : {}) });
        await showKey(detail, key);
        detail.querySelector('.buttons')?.after(h('div.ok', { 'data-saved-revision': put.header.revision }, `Saved at revision ${put.header.revision}.`));
      } catch (err) {
        fill(status, errorBox(err));
      }
    } }, 'Save');
    pre.replaceWith(area);
    fill(actions, save, h('button', { type: 'button', onclick: () => showKey(detail, key) }, 'Cancel'));
  }

  async function remove() {
    if (!(await confirmDialog('Delete key', `Delete ${displayKey(key)}? Its history stays until the next compaction.`, 'Delete'))) return;
    try {
      const d = await gw('/v3/kv/deleterange', { key: toBase64(key) });
      fill(detail, h('p.ok', null, `Deleted ${displayKey(key)} at revision ${d.header.revision}.`));
    } catch (err) {
      fill(status, errorBox(err));
    }
  }
}

async function showLease(box, id) {
  try {
    const t = await gw('/v3/lease/timetolive', { ID: id });
    fill(box, h('a', { href: '#/leases' }, hexId(id)), ` · ${t.TTL === '-1' ? 'expired' : `${t.TTL} s left of ${t.grantedTTL} s`}`);
  } catch (err) {
    fill(box, `${hexId(id)} (${err.message})`);
  }
}

/** @param {HTMLElement} box @param {Uint8Array} key */
async function loadHistory(box, key) {
  const rows = h('tbody');
  const diffBox = h('div.diff');
  const tail = h('div.muted');
  let a;
  let b;
  const compare = h('button', { type: 'button', disabled: true, onclick: () => showDiff(diffBox, key, a, b) }, 'Compare selected');
  fill(box, h('h4', null, 'History'), h('p.muted', null, 'Pick two revisions (old, new) to compare.'),
    h('table.grid', null, h('thead', null, h('tr', null, ...['old', 'new', 'Revision', 'Version', 'Created', 'Lease', 'Size', 'Form'].map((c) => h('th', null, c)))), rows), tail, compare, diffBox);
  const pick = (which, rev) => {
    if (which === 'a') a = rev;
    else b = rev;
    compare.disabled = !(a && b && a !== b);
  };
  const page = async (before) => {
    let r;
    try {
      r = await dash('history', { key: toBase64(key), limit: 50, ...(before ? { before } : {}) });
    } catch (err) {
      return fill(tail, errorBox(err));
    }
    for (const v of r.versions) {
      if (v.deleted) {
        // The end of an earlier life of the key: nothing to show or compare at that revision.
        rows.append(h('tr.deleted', { 'data-revision': v.mod_revision }, h('td'), h('td'), h('td', null, String(v.mod_revision)), h('td', { colspan: 5 }, 'deleted')));
        continue;
      }
      rows.append(h('tr', { 'data-revision': v.mod_revision },
        h('td', null, h('input', { type: 'radio', name: 'old', value: v.mod_revision, onchange: () => pick('a', v.mod_revision) })),
        h('td', null, h('input', { type: 'radio', name: 'new', value: v.mod_revision, onchange: () => pick('b', v.mod_revision) })),
        h('td', null, String(v.mod_revision)), h('td', null, String(v.version)), h('td', null, String(v.create_revision)),
        h('td.mono', null, v.lease === '0' ? '' : hexId(v.lease)), h('td', null, formatBytes(v.size)), h('td', null, v.form)));
    }
    if (r.before) {
      fill(tail, h('button.link', { type: 'button', onclick: () => page(r.before) }, 'Older…'));
    } else {
      const why = { created: `Created at revision ${r.end_revision}; before that the key did not exist.`, compacted: `Older revisions were compacted (revision ${r.end_revision} is no longer readable).`, absent: `The key did not exist at revision ${r.end_revision}.` };
      fill(tail, why[r.end] ?? '');
    }
  };
  await page(undefined);
}

async function textAt(key, rev) {
  const r = await dash('value', { key: toBase64(key), revision: rev });
  if (!r.kv) return '';
  return valueText(r.view, fromBase64(r.kv.value)).text;
}

async function showDiff(box, key, a, b) {
  const [older, newer] = a < b ? [a, b] : [b, a];
  try {
    const [x, y] = await Promise.all([textAt(key, older), textAt(key, newer)]);
    const lines = lineDiff(x, y);
    fill(box, h('div.value-label', null, `Revision ${older} → ${newer}`), h('pre.diff', null, lines.map((l) => h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same' }, `${l.op} ${l.line}\n`))));
  } catch (err) {
    fill(box, errorBox(err));
  }
}

/** @param {HTMLElement} detail @param {Uint8Array} prefix */
function newKey(detail, prefix) {
  const name = h('input', { name: 'new-key', value: displayKey(prefix), required: true });
  const value = h('textarea.editor', { name: 'new-value', rows: 6 });
  const status = h('div');
  fill(detail, h('form.newkey', { onsubmit: async (e) => {
    e.preventDefault();
    if (!(await confirmDialog('Create key', `Write ${name.value}?`, 'Create'))) return;
    try {
      await gw('/v3/kv/put', { key: textToBase64(name.value), value: textToBase64(value.value) });
      const k = enc.encode(name.value);
      location.hash = keysLink(toBase64(parentOf(k)), toBase64(k));
    } catch (err) {
      fill(status, errorBox(err));
    }
  } }, h('h3', null, 'New key'), h('label', null, 'Key', name), h('label', null, 'Value', value), h('button.primary', { type: 'submit' }, 'Create'), status));
}


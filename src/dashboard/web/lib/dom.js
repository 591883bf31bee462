// A small element builder: every value goes in as text or attribute, never as
// markup, so nothing read from the store can inject into the page.

/**
 * @param {string} tag e.g. 'div', 'button.primary', 'span#id'
 * @param {Record<string, any> | null} [attrs] attributes; on* functions become listeners
 * @param {...any} children strings, numbers, nodes, arrays, or null
 * @returns {any} the element (typed loosely: inputs, dialogs and buttons alike)
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const [el, id] = name.split('#');
  /** @type {any} */
  const node = document.createElement(el || 'div');
  if (id) node.id = id;
  if (classes.length) node.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = [node.className, v].filter(Boolean).join(' ');
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces a node's content. @param {Element} node @param {...any} children */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** @param {number} n bytes */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** @param {number} s seconds */
export function formatSeconds(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 0.001) return `${(s * 1e6).toFixed(0)} µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}

/** A member or lease ID as etcdctl prints it. @param {string} id decimal */
export const hexId = (id) => BigInt(id || '0').toString(16);

/** An error line for a failed call. @param {unknown} err */
export function errorBox(err) {
  const msg = err instanceof Error ? err.message : String(err);
  return h('div.error', { role: 'alert' }, msg);
}

/**
 * A modal confirmation; resolves true when confirmed.
 * @param {string} title @param {string | Node} body @param {string} action
 */
export function confirmDialog(title, body, action = 'Confirm') {
  return new Promise((resolve) => {
    const dlg = h('dialog.confirm', null,
      h('h3', null, title),
      h('div.confirm-body', null, body),
      h('div.buttons', null,
        h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'),
        h('button.danger', { type: 'button', 'data-confirm': '', onclick: () => close(true) }, action)));
    const close = (ok) => {
      dlg.close();
      dlg.remove();
      resolve(ok);
    };
    dlg.addEventListener('cancel', () => close(false));
    document.body.append(dlg);
    dlg.showModal();
  });
}

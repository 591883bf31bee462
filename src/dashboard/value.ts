// How the dashboard shows a stored value: a Kubernetes object decoded from the
// apiserver's protobuf envelope (the decoder behind etcdctl-ts get -w k8s), JSON
// pretty-printed, text as text, anything else as bytes for a hex view.
import { stringify as yaml } from 'yaml';
import { decodeValue } from '../k8s/envelope.js';

export type ValueView =
  | { form: 'k8s'; object: unknown; yaml: string }
  | { form: 'json'; object: unknown }
  | { form: 'text'; text: string }
  | { form: 'binary' }
  | { form: 'empty' };

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Text a person can read: no control characters besides tab and line breaks. */
const READABLE = /^[\P{Cc}\t\n\r]*$/u;

export function viewValue(v: Uint8Array): ValueView {
  if (v.length === 0) return { form: 'empty' };
  const d = decodeValue(v);
  if (d.form === 'protobuf') return { form: 'k8s', object: d.object, yaml: yaml(d.object, { lineWidth: 0 }) };
  if (d.form === 'json') return { form: 'json', object: d.object };
  try {
    const text = utf8.decode(v);
    if (READABLE.test(text)) return { form: 'text', text };
  } catch {
    // not UTF-8
  }
  return { form: 'binary' };
}

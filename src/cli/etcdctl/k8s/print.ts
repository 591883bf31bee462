// get's k8s and k8s-json outputs: each key's value decoded as a Kubernetes object.
import { stringify as yaml } from 'yaml';
import type { KeyValue } from '../../../pb/kv.js';
import { decodeValue } from '../../../k8s/envelope.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** YAML, one document per key, the key as a comment; other values as etcdctl prints them. */
export function k8sYaml(kvs: KeyValue[]): string {
  return kvs
    .map((kv) => {
      const d = decodeValue(kv.value);
      if (d.form === 'other') return `# ${text(kv.key)} (not a Kubernetes object)\n${text(kv.key)}\n${text(kv.value)}\n`;
      return `# ${text(kv.key)}\n${yaml(d.object, { lineWidth: 0 })}`;
    })
    .join('---\n');
}

/** One JSON line per key: {"key", "object"} or, for other values, {"key", "value"}. */
export function k8sJson(kvs: KeyValue[]): string {
  return kvs
    .map((kv) => {
      const d = decodeValue(kv.value);
      return JSON.stringify(d.form === 'other' ? { key: text(kv.key), value: text(kv.value) } : { key: text(kv.key), object: d.object }) + '\n';
    })
    .join('');
}

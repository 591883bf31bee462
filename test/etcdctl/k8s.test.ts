// get -w k8s / k8s-json: Kubernetes objects stored as the apiserver stores them
// (protobuf in the "k8s\0" envelope, JSON for custom resources), put through
// etcdctl-ts and read back decoded.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type * as PB from 'protobufjs';
import { etcdctl, startMember, type Member } from '../helpers/index.js';
import { etcdctlTs } from './run.js';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

// The few Kubernetes messages the test writes, with their public field numbers.
const root = protobuf.parse(`
syntax = "proto2";
package k8s;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message ObjectMeta {
  optional string name = 1; optional string namespace = 3; optional string uid = 5; optional string resourceVersion = 6;
  optional Time creationTimestamp = 8; map<string, string> labels = 11; map<string, string> annotations = 12; repeated string finalizers = 14;
}
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; }
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; }
message Inner { optional string text = 1; optional int64 count = 2; }
message Widget { optional ObjectMeta metadata = 1; optional Inner spec = 2; optional int32 replicas = 5; optional bytes blob = 6; }
`).root;

function envelope(apiVersion: string, kind: string, typeName: string, obj: object): Buffer {
  const raw = root.lookupType(`k8s.${typeName}`).encode(obj).finish();
  const unknown = root.lookupType('k8s.Unknown').encode({ typeMeta: { apiVersion, kind }, raw, contentType: '' }).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

const created = { seconds: 1700000000, nanos: 0 };
const VALUES: Record<string, Buffer> = {
  '/registry/namespaces/kube-system': envelope('v1', 'Namespace', 'Namespace', {
    metadata: { name: 'kube-system', uid: 'a1b2c3', creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': 'kube-system', tier: 'control-plane' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }),
  '/registry/configmaps/default/app-config': envelope('v1', 'ConfigMap', 'ConfigMap', {
    metadata: { name: 'app-config', namespace: 'default', annotations: { note: 'hello' } },
    data: { 'app.properties': 'color=blue\nsize=10\n' },
    binaryData: { logo: Buffer.from([0, 1, 2, 255]) },
  }),
  '/registry/secrets/default/db': envelope('v1', 'Secret', 'Secret', { metadata: { name: 'db', namespace: 'default' }, data: { password: Buffer.from('s3cr3t') }, type: 'Opaque' }),
  '/registry/widgets.example.io/default/w1': envelope('example.io/v1', 'Widget', 'Widget', {
    metadata: { name: 'w1', namespace: 'default' },
    spec: { text: 'inner', count: 7 },
    replicas: 3,
    blob: Buffer.from([0xff, 0xfe, 0x00]),
  }),
  '/registry/crontabs.stable.example.com/default/c1': Buffer.from(JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c1' }, spec: { cronSpec: '* * * * */5' } })),
  '/registry/plain': Buffer.from('just text'),
};

let member: Member;

before(async () => {
  member = await startMember('etcd-ts', { name: 'k8s' });
  for (const [key, value] of Object.entries(VALUES)) {
    const r = await etcdctlTs(member, ['put', key], { stdinBytes: value });
    assert.equal(r.code, 0, r.stderr);
  }
});
after(async () => {
  await member?.close();
});

describe('get -w k8s decodes Kubernetes objects', { concurrency: false }, () => {
  test('binary values go in through stdin unchanged (as etcdctl reads them back)', async () => {
    const r = await etcdctl(member, ['get', '/registry/namespaces/kube-system', '--print-value-only']);
    assert.deepEqual(r.stdoutBytes, Buffer.concat([VALUES['/registry/namespaces/kube-system']!, Buffer.from('\n')]));
  });

  test('a Namespace as YAML: apiVersion, kind, metadata with labels, spec and status', async () => {
    const r = await etcdctlTs(member, ['get', '/registry/namespaces/kube-system', '-w', 'k8s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# \/registry\/namespaces\/kube-system\n/);
    const [doc] = parseAllDocuments(r.stdout);
    assert.deepEqual(doc!.toJS(), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'kube-system', uid: 'a1b2c3', creationTimestamp: '2023-11-14T22:13:20Z', labels: { 'kubernetes.io/metadata.name': 'kube-system', tier: 'control-plane' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  });

  test('every key under a prefix as one JSON line: known kinds, unknown kinds, JSON and plain values', async () => {
    const r = await etcdctlTs(member, ['get', '/registry/', '--prefix', '-w', 'k8s-json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { key: string; object?: any; value?: string });
    assert.deepEqual(lines.map((l) => l.key), Object.keys(VALUES).sort());
    const by = Object.fromEntries(lines.map((l) => [l.key, l]));
    assert.deepEqual(by['/registry/configmaps/default/app-config']!.object, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'default', annotations: { note: 'hello' } },
      data: { 'app.properties': 'color=blue\nsize=10\n' },
      binaryData: { logo: Buffer.from([0, 1, 2, 255]).toString('base64') },
    });
    assert.deepEqual(by['/registry/secrets/default/db']!.object, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, data: { password: Buffer.from('s3cr3t').toString('base64') }, type: 'Opaque' });
    // An unknown kind: metadata decoded, every other field by shape and marked.
    assert.deepEqual(by['/registry/widgets.example.io/default/w1']!.object, {
      apiVersion: 'example.io/v1',
      kind: 'Widget',
      metadata: { name: 'w1', namespace: 'default' },
      '#2 (undecoded)': { '#1': 'inner', '#2': 7 },
      '#5 (undecoded)': 3,
      '#6 (undecoded)': 'base64:' + Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
    });
    assert.deepEqual(by['/registry/crontabs.stable.example.com/default/c1']!.object, JSON.parse(VALUES['/registry/crontabs.stable.example.com/default/c1']!.toString()));
    assert.equal(by['/registry/plain']!.value, 'just text');
  });

  test('YAML documents are separated per key; a value that is no object prints as etcdctl prints it', async () => {
    const r = await etcdctlTs(member, ['get', '/registry/p', '--prefix', '-w', 'k8s']);
    assert.equal(r.stdout, '# /registry/plain (not a Kubernetes object)\n/registry/plain\njust text\n');
    const all = await etcdctlTs(member, ['get', '/registry/c', '--prefix', '-w', 'k8s']);
    const docs = parseAllDocuments(all.stdout).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => d.kind), ['ConfigMap', 'CronTab']);
    assert.equal(docs[1].spec.cronSpec, '* * * * */5');
  });

  test('k8s outputs belong to get only', async () => {
    const r = await etcdctlTs(member, ['put', 'x', 'y', '-w', 'k8s']);
    assert.equal(r.code, 4);
    assert.equal(r.stderr, 'Error: k8s not supported as output format\n');
  });
});

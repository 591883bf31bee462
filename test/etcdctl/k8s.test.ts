// get -w k8s / k8s-json: Kubernetes objects stored as the apiserver stores them
// (protobuf in the "k8s\0" envelope, JSON for custom resources), put through
// etcdctl-ts and read back decoded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { etcdctl, startMember, type Member } from '../helpers/index.js';
import { etcdctlTs } from './run.js';
import { envelope } from '../helpers/k8s.js';

const created = { seconds: 1700000000, nanos: 0 };
/** The pod spec, as written and as decoded: every field round-trips. */
const WEB_SPEC = {
  containers: [
    {
      name: 'web',
      image: 'nginx:1.25',
      command: ['nginx'],
      args: ['-g', 'daemon off;'],
      workingDir: '/srv',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'MODE', value: 'prod' }],
      terminationMessagePath: '/dev/termination-log',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePolicy: 'File',
    },
  ],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  serviceAccountName: 'builder',
  serviceAccount: 'builder',
  nodeName: 'node-1',
  hostNetwork: false,
};

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
  // metadata.creationTimestamp {} is how the apiserver writes a zero time.
  '/registry/services/specs/default/web': envelope('v1', 'Service', 'Service', {
    metadata: { name: 'web', namespace: 'default', creationTimestamp: {} },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: { type: 1, strVal: 'http' }, nodePort: 30080, appProtocol: 'http' },
        { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: { type: 0, intVal: 9091 } },
      ],
      selector: { app: 'web' },
      clusterIP: '10.96.0.20',
      type: 'NodePort',
      sessionAffinity: 'None',
      ipFamilyPolicy: 'SingleStack',
      clusterIPs: ['10.96.0.20'],
      ipFamilies: ['IPv4'],
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  }),
  '/registry/serviceaccounts/default/builder': envelope('v1', 'ServiceAccount', 'ServiceAccount', {
    metadata: { name: 'builder', namespace: 'default' },
    secrets: [{ kind: 'Secret', namespace: 'default', name: 'builder-token' }],
    imagePullSecrets: [{ name: 'registry-creds' }],
    automountServiceAccountToken: false,
  }),
  '/registry/pods/default/web-0': envelope('v1', 'Pod', 'Pod', {
    metadata: { name: 'web-0', namespace: 'default' },
    spec: WEB_SPEC,
    status: { phase: 'Running', hostIP: '192.168.1.10', podIP: '10.244.1.5', startTime: created },
  }),
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

  test('Service, ServiceAccount and Pod decode by core/v1 field numbers; targetPort is a number or a name', async () => {
    const r = await etcdctlTs(member, ['get', '/registry/', '--prefix', '-w', 'k8s-json']);
    assert.equal(r.code, 0, r.stderr);
    const by = Object.fromEntries(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: string; object?: any })
        .map((l) => [l.key, l.object]),
    );
    assert.deepEqual(by['/registry/services/specs/default/web'], {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: null },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080, appProtocol: 'http' },
          { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9091 },
        ],
        selector: { app: 'web' },
        clusterIP: '10.96.0.20',
        type: 'NodePort',
        sessionAffinity: 'None',
        ipFamilyPolicy: 'SingleStack',
        clusterIPs: ['10.96.0.20'],
        ipFamilies: ['IPv4'],
        internalTrafficPolicy: 'Cluster',
      },
      status: { loadBalancer: {} },
    });
    assert.deepEqual(by['/registry/serviceaccounts/default/builder'], {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder', namespace: 'default' },
      secrets: [{ kind: 'Secret', namespace: 'default', name: 'builder-token' }],
      imagePullSecrets: [{ name: 'registry-creds' }],
      automountServiceAccountToken: false,
    });
    assert.deepEqual(by['/registry/pods/default/web-0'], {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'default' },
      spec: WEB_SPEC,
      status: { phase: 'Running', hostIP: '192.168.1.10', podIP: '10.244.1.5', startTime: '2023-11-14T22:13:20Z' },
    });
  });

  test('YAML documents are separated per key; a value that is no object prints as etcdctl prints it', async () => {
    const r = await etcdctlTs(member, ['get', '/registry/pl', '--prefix', '-w', 'k8s']);
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

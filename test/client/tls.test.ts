// TLS: the client and etcdctl-ts reach the real etcd 3.4 over https with a CA
// (--cacert), or without verification (--insecure-skip-tls-verify), and fail
// verification against an unknown CA. etcd-ts serves no TLS yet.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Client, EtcdError } from '../../src/client/index.js';
import { etcdctl, freePort, tmpDir } from '../helpers/index.js';
import { etcdctlTs } from '../etcdctl/run.js';

const dir = tmpDir('client-tls');
let etcd: ChildProcess | undefined;
let endpoint = '';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir.path, stdio: 'ignore' });
}

before(async () => {
  writeFileSync(`${dir.path}/san.cnf`, 'subjectAltName=IP:127.0.0.1\n');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.cnf']);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '1', '-subj', '/CN=other-ca']);
  const [client, peer] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${client}`;
  etcd = spawn('/usr/bin/etcd', [
    '--name', 'tls', '--data-dir', `${dir.path}/tls.etcd`,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `tls=http://127.0.0.1:${peer}`,
    '--cert-file', `${dir.path}/server.crt`, '--key-file', `${dir.path}/server.key`,
  ], { stdio: 'ignore' });
  // /health over plain http fails on a TLS port; probe with the client until it answers.
  const probe = new Client({ endpoints: [endpoint], tls: { ca: readFileSync(`${dir.path}/ca.crt`) } });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.maintenance.status({ timeoutMs: 500 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await probe.close();
});
after(async () => {
  if (etcd && etcd.exitCode === null) {
    const exited = new Promise((r) => etcd!.once('exit', r));
    etcd.kill('SIGTERM');
    await exited;
  }
  dir.cleanup();
});

test('the client speaks TLS with a CA', async () => {
  const c = new Client({ endpoints: [endpoint], tls: { ca: readFileSync(`${dir.path}/ca.crt`) } });
  try {
    await c.put('secure', 'yes');
    assert.equal(await c.getString('secure'), 'yes');
  } finally {
    await c.close();
  }
});

test('a certificate from an unknown CA is refused', async () => {
  const c = new Client({ endpoints: [endpoint], tls: { ca: readFileSync(`${dir.path}/other.crt`) }, dialTimeoutMs: 1000 });
  try {
    await assert.rejects(c.get('secure', { timeoutMs: 1500 }), (e: EtcdError) => e instanceof EtcdError);
  } finally {
    await c.close();
  }
});

test('etcdctl-ts --cacert and --insecure-skip-tls-verify print what etcdctl prints', async () => {
  for (const flags of [[`--cacert=${dir.path}/ca.crt`], ['--insecure-skip-tls-verify', '--insecure-transport=false']]) {
    const args = [...flags, 'get', 'secure'];
    const [a, b] = [await etcdctl(endpoint, args), await etcdctlTs(endpoint, args)];
    assert.equal(b.stdout, a.stdout, args.join(' '));
    assert.equal(b.code, a.code, args.join(' '));
    assert.equal(b.stdout, 'secure\nyes\n');
  }
});

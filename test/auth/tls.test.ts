// Client TLS against etcd-ts and real etcd with the same flags: server certs,
// mutual TLS with a trusted CA, auto-TLS, and refusals of clients that do not fit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMember, type Member, type MemberKind } from '../helpers/member.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { makePki, type Pki } from './certs.js';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

/** GET over HTTPS with an optional client certificate; the status and body, or the connection error. */
function httpsGet(url: string, cert?: { cert: string; key: string }): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { ca: readFileSync(pki.ca), cert: cert && readFileSync(cert.cert), key: cert && readFileSync(cert.key), timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
}

let dir: TmpDir;
let pki: Pki;
before(() => {
  dir = tmpDir('tls-pki');
  pki = makePki(dir.path);
});
after(() => dir.cleanup());

const kinds: MemberKind[] = ['etcd-ts', 'etcd'];
const quick = ['--dial-timeout=700ms', '--command-timeout=1s'];

async function withMember(kind: MemberKind, extraArgs: string[], fn: (m: Member) => Promise<void>): Promise<void> {
  const m = await startMember(kind, { clientScheme: 'https', extraArgs });
  try {
    await fn(m);
  } finally {
    await m.close();
  }
}

for (const kind of kinds) {
  test(`${kind}: mutual TLS admits CA-signed client certs and refuses the rest`, async () => {
    const flags = ['--cert-file', pki.server.cert, '--key-file', pki.server.key, '--trusted-ca-file', pki.ca, '--client-cert-auth'];
    await withMember(kind, flags, async (m) => {
      const peer = ['--cacert', pki.ca, '--cert', pki.peer.cert, '--key', pki.peer.key];
      const put = await etcdctl(m, [...peer, 'put', '/registry/a', '1']);
      assert.equal(put.code, 0, put.stderr);
      assert.equal(put.stdout, 'OK\n');
      const hc = await etcdctl(m, ['--cacert', pki.ca, '--cert', pki.healthcheck.cert, '--key', pki.healthcheck.key, 'get', '/', '--prefix', '--keys-only']);
      assert.equal(hc.code, 0, hc.stderr);
      assert.equal(hc.stdout, '/registry/a\n\n');

      const noCert = await etcdctl(m, [...quick, '--cacert', pki.ca, 'get', 'x']);
      assert.notEqual(noCert.code, 0, 'a client without a certificate must be refused');
      const stranger = await etcdctl(m, [...quick, '--cacert', pki.ca, '--cert', pki.stranger.cert, '--key', pki.stranger.key, 'get', 'x']);
      assert.notEqual(stranger.code, 0, 'a certificate from another CA must be refused');
      // kubeadm's liveness probe: /health with the healthcheck-client certificate.
      assert.deepEqual(await httpsGet(`${m.endpoint}/health`, pki.healthcheck), { status: 200, body: '{"health":"true"}' });
      assert.ok('error' in (await httpsGet(`${m.endpoint}/health`)), '/health without a client certificate is refused');
      const plain = await etcdctl(m.endpoint.replace('https:', 'http:'), [...quick, 'get', 'x']);
      assert.notEqual(plain.code, 0, 'plaintext on the TLS port must be refused');
    });
  });

  test(`${kind}: a client certificate on the CRL is refused`, async () => {
    const revoked = pki.user(`revoked-${kind}`);
    const crl = pki.revoke([revoked.cert]);
    const flags = ['--cert-file', pki.server.cert, '--key-file', pki.server.key, '--trusted-ca-file', pki.ca, '--client-cert-auth', '--client-crl-file', crl];
    await withMember(kind, flags, async (m) => {
      const ok = await etcdctl(m, ['--cacert', pki.ca, '--cert', pki.peer.cert, '--key', pki.peer.key, 'put', 'k', 'v']);
      assert.equal(ok.code, 0, ok.stderr);
      const refused = await etcdctl(m, [...quick, '--cacert', pki.ca, '--cert', revoked.cert, '--key', revoked.key, 'get', 'k']);
      assert.notEqual(refused.code, 0, 'a revoked certificate must be refused');
    });
  });

  test(`${kind}: server-only TLS and auto-TLS`, async () => {
    await withMember(kind, ['--cert-file', pki.server.cert, '--key-file', pki.server.key], async (m) => {
      const r = await etcdctl(m, ['--cacert', pki.ca, 'put', 'k', 'v']);
      assert.equal(r.code, 0, r.stderr);
      const unverified = await etcdctl(m, [...quick, 'get', 'k']);
      assert.notEqual(unverified.code, 0, 'the server certificate is not trusted without --cacert');
    });
    await withMember(kind, ['--auto-tls'], async (m) => {
      const r = await etcdctl(m, ['--insecure-transport=false', '--insecure-skip-tls-verify', 'put', 'k', 'v']);
      assert.equal(r.code, 0, r.stderr);
      const g = await etcdctl(m, ['--insecure-transport=false', '--insecure-skip-tls-verify', 'get', 'k', '--print-value-only']);
      assert.equal(g.stdout, 'v\n');
    });
  });
}

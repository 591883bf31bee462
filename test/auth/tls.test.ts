// Client TLS against etcd-ts and real etcd with the same flags: server certs,
// mutual TLS with a trusted CA, auto-TLS, and refusals of clients that do not fit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMember, type Member, type MemberKind } from '../helpers/member.js';
import { etcdctl } from '../helpers/etcdctl.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { makePki, type Pki } from './certs.js';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Whether a TLS 1.2 handshake offering only `cipher` (OpenSSL name) completes. */
function handshakes(port: number, cipher: string): boolean {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', cipher, '-CAfile', pki.ca, '-cert', pki.peer.cert, '-key', pki.peer.key], { input: '', timeout: 5000, encoding: 'utf8' });
  return r.status === 0 && /Cipher is /.test(r.stdout) && !/Cipher is \(NONE\)/.test(r.stdout);
}
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

  test(`${kind}: --cipher-suites limits TLS 1.2 to the named suites`, async () => {
    // etcd 3.4's default logger crashes on --cipher-suites; zap does not.
    const flags = ['--logger', 'zap', '--cert-file', pki.server.cert, '--key-file', pki.server.key, '--cipher-suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];
    await withMember(kind, flags, async (m) => {
      assert.equal(handshakes(m.clientPort, 'ECDHE-ECDSA-AES128-GCM-SHA256'), true);
      assert.equal(handshakes(m.clientPort, 'ECDHE-ECDSA-AES256-GCM-SHA384'), false);
      const r = await etcdctl(m, ['--cacert', pki.ca, 'put', 'k', 'v']);
      assert.equal(r.code, 0, r.stderr);
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

test('cipher suites: Go names map to OpenSSL ones, and lists Go’s HTTP/2 would refuse are refused', async () => {
  const { opensslCiphers } = await import('../../src/tlsutil/cipher-suites.js');
  assert.match(opensslCiphers(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305']), /:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305$/);
  assert.throws(() => opensslCiphers(['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']), /missing an HTTP\/2-required AES_128_GCM_SHA256 cipher/);
  assert.throws(() => opensslCiphers(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_NOPE']), /unexpected TLS cipher suite "TLS_NOPE"/);
});

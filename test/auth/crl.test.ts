// Client TLS checks beyond the chain, side by side with etcd 3.4.23: --client-crl-file with
// etcd's own test CRL (integration/fixtures/revoke.crl: DER, nextUpdate in 2021), and
// --client-cert-allowed-hostname; each refusal logged with etcd's "rejected connection" line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdctl, startMember, tmpDir, ETCD_BIN, type Member } from '../helpers/index.js';
import { checkCrl, parseCrl } from '../../src/tlsutil/crl.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/etcd-tls/', import.meta.url));
const fx = (name: string) => join(FIXTURES, name);
const REVOKED_SERIAL = '4a3cf9f9dcc21a01b4a0efaef7546aaee8fbd194';
const skip = existsSync(ETCD_BIN) ? false : `${ETCD_BIN} is not installed`;
const quick = ['--dial-timeout=2s', '--command-timeout=3s'];

test('etcd\'s revoke.crl parses: DER, one revoked serial, nextUpdate long past', () => {
  const list = parseCrl(readFileSync(fx('revoke.crl')));
  assert.deepEqual([...list.revoked], [REVOKED_SERIAL]);
  assert.equal(list.nextUpdate?.toISOString(), '2021-03-07T10:52:43.000Z');
  assert.ok(list.nextUpdate!.getTime() < Date.now());
  // The same list as PEM is read too (Go's x509.ParseCRL takes either).
  const dir = tmpDir('crl-pem');
  try {
    const pem = join(dir.path, 'revoke.pem');
    writeFileSync(pem, `-----BEGIN X509 CRL-----\n${readFileSync(fx('revoke.crl')).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`);
    assert.equal(checkCrl(pem, ['4A3CF9F9DCC21A01B4A0EFAEF7546AAEE8FBD194']), `transport: certificate serial ${REVOKED_SERIAL} revoked`);
    assert.equal(checkCrl(pem, ['01']), undefined);
    // An unreadable list refuses the connection with the reason, as etcd's per-connection check does.
    assert.equal(checkCrl(join(dir.path, 'missing.crl'), ['01']), `open ${join(dir.path, 'missing.crl')}: no such file or directory`);
    writeFileSync(join(dir.path, 'garbage.crl'), 'not a list');
    assert.match(checkCrl(join(dir.path, 'garbage.crl'), ['01'])!, /^asn1: /);
  } finally {
    dir.cleanup();
  }
});

function rejectedLines(m: Member): Array<Record<string, unknown>> {
  return m
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'rejected connection');
}

const serverTls = ['--cert-file', fx('server.crt'), '--key-file', fx('server.key.insecure'), '--trusted-ca-file', fx('ca.crt'), '--client-cert-auth'];

test('--client-crl-file with etcd\'s revoke.crl: the member starts, a good certificate is served, the revoked one refused and logged as etcd logs it', { skip, timeout: 60_000 }, async () => {
  const seen: Record<string, unknown> = {};
  for (const kind of ['etcd', 'etcd-ts'] as const) {
    const m = await startMember(kind, { clientScheme: 'https', extraArgs: [...serverTls, '--client-crl-file', fx('revoke.crl'), '--logger', 'zap'] });
    try {
      const good = await etcdctl(m, [...quick, '--cacert', fx('ca.crt'), '--cert', fx('server.crt'), '--key', fx('server.key.insecure'), 'put', 'k', 'v']);
      assert.equal(good.code, 0, `${kind}: ${good.stderr}`);
      assert.equal(good.stdout, 'OK\n');
      const bad = await etcdctl(m, [...quick, '--cacert', fx('ca.crt'), '--cert', fx('server-revoked.crt'), '--key', fx('server-revoked.key.insecure'), 'get', 'k']);
      assert.notEqual(bad.code, 0, `${kind}: the revoked certificate must be refused`);
      assert.equal(bad.stdout, '');
      const lines = rejectedLines(m);
      assert.ok(lines.length > 0, `${kind} logged no rejected connection:\n${m.logs()}`);
      // Served on an edge thread, etcd-ts's line also names that thread.
      const { ts: _ts, caller: _caller, 'remote-addr': addr, 'edge-thread': _edge, ...rest } = lines[0]!;
      assert.match(String(addr), /^127\.0\.0\.1:\d+$/);
      seen[kind] = rest;
    } finally {
      await m.close();
    }
  }
  assert.deepEqual(seen.etcd, {
    level: 'warn',
    msg: 'rejected connection',
    'server-name': '',
    'ip-addresses': ['127.0.0.1'],
    'dns-names': ['localhost'],
    error: `transport: certificate serial ${REVOKED_SERIAL} revoked`,
  });
  assert.deepEqual(seen['etcd-ts'], seen.etcd);
});

test('--client-cert-allowed-hostname: a certificate valid for the name is served, another refused with "client certificate authentication failed"', { skip, timeout: 60_000 }, async () => {
  const seen: Record<string, unknown> = {};
  for (const kind of ['etcd', 'etcd-ts'] as const) {
    // The fixtures are valid for localhost and 127.0.0.1 only.
    for (const [allowed, ok] of [['localhost', true], ['example.com', false]] as const) {
      const m = await startMember(kind, { clientScheme: 'https', extraArgs: [...serverTls, '--client-cert-allowed-hostname', allowed, '--logger', 'zap'] });
      try {
        const r = await etcdctl(m, [...quick, '--cacert', fx('ca.crt'), '--cert', fx('server.crt'), '--key', fx('server.key.insecure'), 'put', 'k', 'v']);
        assert.equal(r.code === 0, ok, `${kind} allowing ${allowed}: ${r.stderr}`);
        if (!ok) {
          // etcd also logs its own gateway's connection, whose client side applies the same
          // check to the server's certificate ("remote error: tls: bad certificate"); the
          // client's refusal is the line compared.
          const line = rejectedLines(m).find((l) => l.error === 'client certificate authentication failed');
          assert.ok(line, `${kind} logged no refusal of the client:\n${m.logs()}`);
          const { ts: _ts, caller: _caller, 'remote-addr': _addr, 'edge-thread': _edge, ...rest } = line;
          seen[kind] = rest;
        }
      } finally {
        await m.close();
      }
    }
  }
  assert.deepEqual(seen.etcd, { level: 'warn', msg: 'rejected connection', 'server-name': '', 'ip-addresses': ['127.0.0.1'], 'dns-names': ['localhost'], error: 'client certificate authentication failed' });
  assert.deepEqual(seen['etcd-ts'], seen.etcd);
});

// A member dialing a peer over https checks the peer's certificate against the host
// of the peer URL it dials (its IP or DNS subject alternative names), as Go's TLS
// client does for etcd's rafthttp: a certificate from the trusted CA issued for
// another host is refused, on the streams' agent and on one-off requests alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { makePki } from '../auth/certs.js';
import { tmpDir } from '../helpers/tmp.js';
import { peerAgent, peerRequest, resolvePeerTls, type PeerTls } from '../../src/rafthttp/tls.js';
import { silentLogger } from '../../src/pkg/logger.js';

async function serve(t: import('node:test').TestContext, tls: PeerTls): Promise<number> {
  const server: Server = createServer(tls.listen, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  server.on('tlsClientError', () => {});
  return (server.address() as AddressInfo).port;
}

/** The body, or the error's code (ERR_TLS_CERT_ALTNAME_INVALID for a host mismatch). */
function get(url: string, tls: PeerTls, viaAgent: boolean): Promise<string> {
  const agent = viaAgent ? peerAgent(tls) : undefined;
  return new Promise((resolve) => {
    const req = peerRequest(new URL(url), { method: 'GET', ...(agent ? { agent } : {}) }, tls, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  }).finally(() => agent?.destroy()) as Promise<string>;
}

test('dialing a peer verifies its certificate against the peer URL host', { timeout: 20_000 }, async (t) => {
  const dir = tmpDir('peer-tls-host');
  t.after(() => dir.cleanup());
  const pki = makePki(dir.path);
  const elsewhere = pki.custom('elsewhere', 'etcd-peer', 'DNS:elsewhere.invalid');
  const dnsOnly = pki.custom('dns-only', 'etcd-peer', 'DNS:localhost');
  const cfg = (c: { cert: string; key: string }) => resolvePeerTls({ certFile: c.cert, keyFile: c.key, trustedCaFile: pki.ca, clientCertAuth: true }, dir.path, [], silentLogger)!;
  const dialer = cfg(pki.peer);

  const good = await serve(t, cfg(pki.peer)); // DNS:localhost, IP:127.0.0.1
  const wrong = await serve(t, cfg(elsewhere));
  const named = await serve(t, cfg(dnsOnly));
  for (const viaAgent of [true, false]) {
    const how = viaAgent ? 'through the peer agent' : 'as a one-off request';
    assert.equal(await get(`https://127.0.0.1:${good}/version`, dialer, viaAgent), 'ok', `a certificate for the dialed IP is accepted ${how}`);
    assert.equal(await get(`https://localhost:${good}/version`, dialer, viaAgent), 'ok', `a certificate for the dialed name is accepted ${how}`);
    assert.equal(await get(`https://127.0.0.1:${wrong}/version`, dialer, viaAgent), 'ERR_TLS_CERT_ALTNAME_INVALID', `another host's certificate is refused ${how}`);
    assert.equal(await get(`https://localhost:${wrong}/version`, dialer, viaAgent), 'ERR_TLS_CERT_ALTNAME_INVALID', `another name's certificate is refused ${how}`);
    // A name in the certificate does not cover an IP URL: Go matches IP URLs against IP SANs only.
    assert.equal(await get(`https://127.0.0.1:${named}/version`, dialer, viaAgent), 'ERR_TLS_CERT_ALTNAME_INVALID', `a DNS-only certificate is refused for an IP URL ${how}`);
    assert.equal(await get(`https://localhost:${named}/version`, dialer, viaAgent), 'ok', `a DNS-only certificate is accepted for its name ${how}`);
  }
});

// etcd's --auto-tls and --peer-auto-tls: a self-signed certificate for the listen hosts,
// valid for --self-signed-cert-validity years.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';

/** As etcd's transport.SelfCert: one ECDSA P-256 certificate for the listen hosts, reused across restarts. */
export function selfSignedCert(dir: string, hosts: string[], validityYears = 1): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const san = [...new Set(hosts)].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(365 * Math.max(1, validityYears)), '-subj', '/O=etcd',
    ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    '-addext', 'extendedKeyUsage=serverAuth,clientAuth',
  ], { stdio: 'ignore' });
  return { certFile, keyFile };
}

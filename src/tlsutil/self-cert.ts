// etcd's --auto-tls and --peer-auto-tls: a self-signed certificate for the listen hosts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';

/** As etcd's transport.SelfCert: one ECDSA P-256 certificate for the listen hosts, reused across restarts. */
export function selfSignedCert(dir: string, hosts: string[]): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const san = [...new Set(hosts)].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '365', '-subj', '/O=etcd',
    ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    '-addext', 'extendedKeyUsage=serverAuth,clientAuth',
  ], { stdio: 'ignore' });
  return { certFile, keyFile };
}

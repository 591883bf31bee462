// A throwaway PKI laid out as kubeadm lays out etcd's: ca, server, peer and
// healthcheck-client, all signed by one CA, plus a second CA that signs nothing we trust.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  peer: { cert: string; key: string };
  healthcheck: { cert: string; key: string };
  /** Signed by another CA: must be refused. */
  stranger: { cert: string; key: string };
  /** Signed by our CA with CN=<user>, for client-cert authentication. */
  user(cn: string): { cert: string; key: string };
  /** A CRL from our CA revoking the given certificates; returns its path. */
  revoke(certs: string[]): string;
  /** Signed by our CA with the given CN and subjectAltName (e.g. "DNS:localhost,IP:127.0.0.1"), for server and client use. */
  custom(name: string, cn: string, san: string): { cert: string; key: string };
}

const ssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'ignore' });

function newCa(dir: string, name: string): void {
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

function issue(dir: string, ca: string, name: string, cn: string, usage: string, san = 'DNS:localhost,IP:127.0.0.1'): { cert: string; key: string } {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

function revoke(dir: string, certs: string[]): string {
  const cnf = join(dir, 'crl.cnf');
  writeFileSync(cnf, '[ca]\ndefault_ca=CA_default\n[CA_default]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=2\n');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '1000\n');
  for (const c of certs) ssl(['ca', '-config', cnf, '-revoke', c, '-keyfile', 'ca.key', '-cert', 'ca.crt'], dir);
  ssl(['ca', '-config', cnf, '-gencrl', '-keyfile', 'ca.key', '-cert', 'ca.crt', '-out', 'crl.pem'], dir);
  return join(dir, 'crl.pem');
}

export function makePki(dir: string): Pki {
  newCa(dir, 'ca');
  newCa(dir, 'other-ca');
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    server: issue(dir, 'ca', 'server', 'etcd-server', 'serverAuth,clientAuth'),
    peer: issue(dir, 'ca', 'peer', 'etcd-peer', 'serverAuth,clientAuth'),
    healthcheck: issue(dir, 'ca', 'healthcheck-client', 'kube-etcd-healthcheck-client', 'clientAuth'),
    stranger: issue(dir, 'other-ca', 'stranger', 'root', 'clientAuth'),
    user: (cn) => issue(dir, 'ca', `user-${cn}`, cn, 'clientAuth'),
    revoke: (certs) => revoke(dir, certs),
    custom: (name, cn, san) => issue(dir, 'ca', name, cn, 'serverAuth,clientAuth', san),
  };
}

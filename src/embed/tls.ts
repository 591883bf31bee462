// Client-port TLS as etcd configures it from --cert-file, --key-file,
// --trusted-ca-file, --client-cert-auth and --auto-tls.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsListenOptions } from '../grpc/server.js';
import { opensslCiphers } from '../tlsutil/cipher-suites.js';
import { selfSignedCert } from '../tlsutil/self-cert.js';

export interface ClientTlsConfig {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  /** Refuse clients without a certificate signed by trustedCaFile. */
  clientCertAuth?: boolean;
  /** Generate a self-signed certificate when no cert/key are given. */
  autoTls?: boolean;
  /** PEM certificate revocation list (--client-crl-file): revoked client certificates are refused. */
  crlFile?: string;
  /** Go names of the TLS 1.2 suites to allow (--cipher-suites); empty: the runtime's defaults. */
  cipherSuites?: string[];
}

/** The TLS options for an https:// client URL; throws etcd's message when none can be had. */
export function clientTlsOptions(url: URL, cfg: ClientTlsConfig, dataDir: string, hosts: string[]): TlsListenOptions {
  let certFile = cfg.certFile ?? '';
  let keyFile = cfg.keyFile ?? '';
  if ((!certFile || !keyFile) && cfg.autoTls) ({ certFile, keyFile } = selfSignedCert(join(dataDir, 'fixtures', 'client'), hosts));
  if (!certFile || !keyFile) {
    throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.href.replace(/\/$/, '')} with HTTPS scheme`);
  }
  const opts: TlsListenOptions = { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' };
  if (cfg.trustedCaFile) opts.ca = readFileSync(cfg.trustedCaFile);
  if (cfg.crlFile) opts.crl = readFileSync(cfg.crlFile);
  if (cfg.cipherSuites?.length) opts.ciphers = opensslCiphers(cfg.cipherSuites);
  if (cfg.clientCertAuth) {
    if (!cfg.trustedCaFile) throw new Error('--client-cert-auth requires --trusted-ca-file in etcd-ts');
    opts.requestCert = true;
    opts.rejectUnauthorized = true;
  }
  return opts;
}

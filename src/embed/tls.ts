// Client-port TLS as etcd configures it from --cert-file, --key-file,
// --trusted-ca-file, --client-cert-auth, --auto-tls, --client-crl-file,
// --client-cert-allowed-hostname and --tls-min-version/--tls-max-version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsListenOptions } from '../grpc/server.js';
import { opensslCiphers } from '../tlsutil/cipher-suites.js';
import { selfSignedCert } from '../tlsutil/self-cert.js';
import { assertTlsChecks, hasTlsChecks, nodeTlsVersion, type TlsChecks } from '../tlsutil/gate.js';

export interface ClientTlsConfig {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  /** Refuse clients without a certificate signed by trustedCaFile. */
  clientCertAuth?: boolean;
  /** Generate a self-signed certificate when no cert/key are given. */
  autoTls?: boolean;
  /** Years a generated certificate is valid (--self-signed-cert-validity); default 1. */
  selfSignedCertValidity?: number;
  /** Certificate revocation list (--client-crl-file, PEM or DER): revoked client certificates are refused. */
  crlFile?: string;
  /** Go names of the TLS 1.2 suites to allow (--cipher-suites); empty: the runtime's defaults. */
  cipherSuites?: string[];
  /** A client certificate must be valid for one of these hostnames (--client-cert-allowed-hostname). */
  allowedHostnames?: string[];
  /** 'TLS1.2' (default) or 'TLS1.3'. */
  minVersion?: string;
  /** '' (the runtime's highest), 'TLS1.2' or 'TLS1.3'. */
  maxVersion?: string;
}

/** The TLS options for an https:// or unixs:// client URL; throws etcd's message when none can be had. */
export function clientTlsOptions(url: URL, cfg: ClientTlsConfig, dataDir: string, hosts: string[]): TlsListenOptions {
  let certFile = cfg.certFile ?? '';
  let keyFile = cfg.keyFile ?? '';
  if ((!certFile || !keyFile) && cfg.autoTls) ({ certFile, keyFile } = selfSignedCert(join(dataDir, 'fixtures', 'client'), hosts, cfg.selfSignedCertValidity));
  if (!certFile || !keyFile) {
    throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.href.replace(/\/$/, '')} with HTTPS scheme`);
  }
  const opts: TlsListenOptions = {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: nodeTlsVersion(cfg.minVersion, 'TLSv1.2'),
    maxVersion: nodeTlsVersion(cfg.maxVersion, 'TLSv1.3'),
  };
  if (cfg.trustedCaFile) opts.ca = readFileSync(cfg.trustedCaFile);
  if (cfg.cipherSuites?.length) opts.ciphers = opensslCiphers(cfg.cipherSuites);
  if (cfg.clientCertAuth) {
    if (!cfg.trustedCaFile) throw new Error('--client-cert-auth requires --trusted-ca-file in etcd-ts');
    opts.requestCert = true;
    opts.rejectUnauthorized = true;
  }
  return opts;
}

/** What the client listeners check once a handshake is done (allowed hostnames, revocation). */
export function clientTlsChecks(cfg: ClientTlsConfig): TlsChecks | undefined {
  const checks: TlsChecks = { hostnames: cfg.allowedHostnames, crlFile: cfg.crlFile };
  if (!hasTlsChecks(checks)) return undefined;
  assertTlsChecks(checks);
  return checks;
}

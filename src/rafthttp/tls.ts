// Peer TLS as etcd configures it from --peer-cert-file, --peer-key-file,
// --peer-trusted-ca-file, --peer-client-cert-auth, --peer-crl-file,
// --peer-cert-allowed-cn, --peer-cert-allowed-hostname, --peer-auto-tls and
// --tls-min-version/--tls-max-version. The same certificate serves the peer listener
// and identifies this member when it dials others; as in etcd, the allowed names apply
// to the certificates of the members it dials as well as to those dialing it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { checkServerIdentity, type PeerCertificate, type TlsOptions } from 'node:tls';
import { selfSignedCert } from '../tlsutil/self-cert.js';
import { opensslCiphers } from '../tlsutil/cipher-suites.js';
import { connectionGate, nodeTlsVersion } from '../tlsutil/gate.js';
import type { Logger } from '../pkg/logger.js';
import { certNames, ERR_CLIENT_CERT_AUTH, namesAllowed, type AllowedNames } from '../tlsutil/verify.js';

export interface PeerTlsConfig {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  /** Refuse peers without a certificate signed by trustedCaFile. */
  clientCertAuth?: boolean;
  /** Generate a self-signed certificate when no cert/key are given; peers are then not verified. */
  autoTls?: boolean;
  crlFile?: string;
  /** A peer certificate must carry one of these common names. */
  allowedCns?: string[];
  /** A peer certificate must be valid for one of these hostnames. */
  allowedHostnames?: string[];
  cipherSuites?: string[];
  /** 'TLS1.2' (default) or 'TLS1.3'. */
  minVersion?: string;
  /** '' (the runtime's highest), 'TLS1.2' or 'TLS1.3'. */
  maxVersion?: string;
  /** Years a --peer-auto-tls certificate is valid; default 1. */
  selfSignedCertValidity?: number;
}

/** Resolved peer TLS material: what the listener serves and how this member dials. */
export interface PeerTls {
  listen: TlsOptions;
  dial: AgentOptions;
  /** Checks an accepted connection (allowed names, revocation) and logs a refusal; undefined: accept all. */
  accept?: ReturnType<typeof connectionGate>;
}

/** undefined when neither certificates nor auto-tls are configured (plain http only). */
export function resolvePeerTls(cfg: PeerTlsConfig | undefined, dataDir: string, listenUrls: URL[], logger: Logger): PeerTls | undefined {
  if (!cfg) return undefined;
  let certFile = cfg.certFile ?? '';
  let keyFile = cfg.keyFile ?? '';
  let selfSigned = false;
  if ((!certFile || !keyFile) && cfg.autoTls) {
    const hosts = listenUrls.map((u) => u.hostname.replace(/^\[|\]$/g, ''));
    ({ certFile, keyFile } = selfSignedCert(join(dataDir, 'fixtures', 'peer'), hosts, cfg.selfSignedCertValidity));
    selfSigned = true;
  }
  if (!certFile || !keyFile) return undefined;
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const ca = cfg.trustedCaFile ? readFileSync(cfg.trustedCaFile) : undefined;
  const ciphers = cfg.cipherSuites?.length ? opensslCiphers(cfg.cipherSuites) : undefined;
  const versions = { minVersion: nodeTlsVersion(cfg.minVersion, 'TLSv1.2'), maxVersion: nodeTlsVersion(cfg.maxVersion, 'TLSv1.3') };
  const listen: TlsOptions = { cert, key, ...versions, ...(ca ? { ca } : {}), ...(ciphers ? { ciphers } : {}) };
  if (cfg.clientCertAuth) {
    if (!ca) throw new Error('--peer-client-cert-auth requires --peer-trusted-ca-file in etcd-ts');
    listen.requestCert = true;
    listen.rejectUnauthorized = true;
  }
  // etcd dials self-signed peers with InsecureSkipVerify: there is no CA to check them against.
  const allowed: AllowedNames = { cns: cfg.allowedCns, hostnames: cfg.allowedHostnames };
  const dial: AgentOptions = {
    keepAlive: false,
    cert,
    key,
    ...versions,
    rejectUnauthorized: !selfSigned,
    ...(ca ? { ca } : {}),
    ...(ciphers ? { ciphers } : {}),
    checkServerIdentity: (host: string, peer: PeerCertificate) => (namesAllowed(certNames(peer), allowed) ? checkServerIdentity(host, peer) : new Error(ERR_CLIENT_CERT_AUTH)),
  };
  return { listen, dial, accept: connectionGate({ ...allowed, crlFile: cfg.crlFile }, logger) };
}

/** An agent for dialing peers; https only when TLS material exists. */
export function peerAgent(tls: PeerTls | undefined, opts: { keepAlive?: boolean; maxSockets?: number } = {}): HttpsAgent | undefined {
  return tls ? new HttpsAgent({ ...tls.dial, ...opts }) : undefined;
}

/** http or https by the URL's scheme; an https URL without peer TLS material is an error. */
export function peerRequest(url: URL, opts: RequestOptions, tls: PeerTls | undefined, onResponse?: (res: IncomingMessage) => void): ClientRequest {
  if (url.protocol === 'unix:' || url.protocol === 'unixs:') {
    // etcd's unix:// and unixs:// URLs name a socket file by their host part (etcd.unix:1).
    const secure = url.protocol === 'unixs:';
    const over = new URL(`${url.pathname}${url.search}`, secure ? 'https://localhost' : 'http://localhost');
    return peerRequest(over, { ...opts, socketPath: url.host }, tls, onResponse);
  }
  if (url.protocol === 'https:') {
    if (!tls) throw new Error(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided to reach peer url ${url.origin}`);
    const o = { ...opts, ...(opts.agent ? {} : tls.dial) };
    return onResponse ? httpsRequest(url, o, onResponse) : httpsRequest(url, o);
  }
  const o = opts.agent instanceof HttpsAgent ? { ...opts, agent: undefined } : opts;
  return onResponse ? httpRequest(url, o, onResponse) : httpRequest(url, o);
}

// Peer TLS as etcd configures it from --peer-cert-file, --peer-key-file,
// --peer-trusted-ca-file, --peer-client-cert-auth, --peer-crl-file,
// --peer-cert-allowed-cn and --peer-auto-tls. The same certificate serves the peer
// listener and identifies this member when it dials others.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { selfSignedCert } from '../tlsutil/self-cert.js';
import { opensslCiphers } from '../tlsutil/cipher-suites.js';

export interface PeerTlsConfig {
  certFile?: string;
  keyFile?: string;
  trustedCaFile?: string;
  /** Refuse peers without a certificate signed by trustedCaFile. */
  clientCertAuth?: boolean;
  /** Generate a self-signed certificate when no cert/key are given; peers are then not verified. */
  autoTls?: boolean;
  crlFile?: string;
  /** A peer certificate must carry this common name. */
  allowedCn?: string;
  cipherSuites?: string[];
}

/** Resolved peer TLS material: what the listener serves and how this member dials. */
export interface PeerTls {
  listen: TlsOptions;
  dial: AgentOptions;
  allowedCn?: string;
}

/** undefined when neither certificates nor auto-tls are configured (plain http only). */
export function resolvePeerTls(cfg: PeerTlsConfig | undefined, dataDir: string, listenUrls: URL[]): PeerTls | undefined {
  if (!cfg) return undefined;
  let certFile = cfg.certFile ?? '';
  let keyFile = cfg.keyFile ?? '';
  let selfSigned = false;
  if ((!certFile || !keyFile) && cfg.autoTls) {
    const hosts = listenUrls.map((u) => u.hostname.replace(/^\[|\]$/g, ''));
    ({ certFile, keyFile } = selfSignedCert(join(dataDir, 'fixtures', 'peer'), hosts));
    selfSigned = true;
  }
  if (!certFile || !keyFile) return undefined;
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const ca = cfg.trustedCaFile ? readFileSync(cfg.trustedCaFile) : undefined;
  const ciphers = cfg.cipherSuites?.length ? opensslCiphers(cfg.cipherSuites) : undefined;
  const listen: TlsOptions = { cert, key, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}), ...(ciphers ? { ciphers } : {}) };
  if (cfg.crlFile) listen.crl = readFileSync(cfg.crlFile);
  if (cfg.clientCertAuth) {
    if (!ca) throw new Error('--peer-client-cert-auth requires --peer-trusted-ca-file in etcd-ts');
    listen.requestCert = true;
    listen.rejectUnauthorized = true;
  }
  // etcd dials self-signed peers with InsecureSkipVerify: there is no CA to check them against.
  const dial: AgentOptions = { keepAlive: false, cert, key, minVersion: 'TLSv1.2', rejectUnauthorized: !selfSigned, ...(ca ? { ca } : {}), ...(ciphers ? { ciphers } : {}) };
  return { listen, dial, allowedCn: cfg.allowedCn || undefined };
}

/** Whether a peer's connection passes --peer-cert-allowed-cn. */
export function peerCnAllowed(socket: TLSSocket, allowedCn: string | undefined): boolean {
  if (!allowedCn) return true;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return cn === allowedCn;
}

/** An agent for dialing peers; https only when TLS material exists. */
export function peerAgent(tls: PeerTls | undefined): HttpsAgent | undefined {
  return tls ? new HttpsAgent(tls.dial) : undefined;
}

/** http or https by the URL's scheme; an https URL without peer TLS material is an error. */
export function peerRequest(url: URL, opts: RequestOptions, tls: PeerTls | undefined, onResponse?: (res: IncomingMessage) => void): ClientRequest {
  if (url.protocol === 'https:') {
    if (!tls) throw new Error(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided to reach peer url ${url.origin}`);
    const o = { ...opts, ...(opts.agent ? {} : tls.dial) };
    return onResponse ? httpsRequest(url, o, onResponse) : httpsRequest(url, o);
  }
  const o = opts.agent instanceof HttpsAgent ? { ...opts, agent: undefined } : opts;
  return onResponse ? httpRequest(url, o, onResponse) : httpRequest(url, o);
}

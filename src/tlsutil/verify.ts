// The checks etcd's TLS listeners and dialers make beyond chain validation: allowed
// common names or hostnames (transport.TLSInfo.AllowedCNs / AllowedHostnames), and the
// "rejected connection" log line with the fields operators' alerts match on.
import { isIP } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export const ERR_CLIENT_CERT_AUTH = 'client certificate authentication failed';

export interface AllowedNames {
  /** A certificate must carry one of these common names. */
  cns?: readonly string[];
  /** A certificate must be valid for one of these hostnames or IPs (Go's VerifyHostname). */
  hostnames?: readonly string[];
}

/** etcd refuses to combine the two kinds, with this error. */
export function allowedNamesConflict(a: AllowedNames): string | undefined {
  const cns = a.cns ?? [];
  const hostnames = a.hostnames ?? [];
  if (cns.length > 0 && hostnames.length > 0) {
    const q = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;
    return `AllowedCNs and AllowedHostnames are mutually exclusive (cns=${q(cns)}, hostnames=${q(hostnames)})`;
  }
  return undefined;
}

export interface CertNames {
  cn?: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** The names a certificate carries, from Node's parsed form. */
export function certNames(cert: PeerCertificate | undefined): CertNames {
  const out: CertNames = { cn: undefined, dnsNames: [], ipAddresses: [] };
  if (!cert || Object.keys(cert).length === 0) return out;
  const cn = cert.subject?.CN;
  out.cn = Array.isArray(cn) ? cn[0] : cn;
  for (const part of (cert.subjectaltname ?? '').split(', ')) {
    if (part.startsWith('DNS:')) out.dnsNames.push(part.slice(4));
    else if (part.startsWith('IP Address:')) out.ipAddresses.push(normalizeIp(part.slice(11)));
  }
  return out;
}

function normalizeIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Node prints IPv6 SANs in full; compare in one canonical form.
  return new URL(`http://[${ip}]`).hostname.slice(1, -1);
}

/** Go's x509.Certificate.VerifyHostname, as etcd's Go release uses it (SANs only, no CN fallback). */
export function matchesHostname(names: CertNames, host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(h) !== 0) return names.ipAddresses.includes(normalizeIp(h));
  const want = h.toLowerCase().replace(/\.$/, '');
  return names.dnsNames.some((pattern) => matchDnsPattern(pattern.toLowerCase().replace(/\.$/, ''), want));
}

function matchDnsPattern(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  // A wildcard stands for exactly one leftmost label.
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/** Whether a certificate passes the allowed names (always, when none are configured). */
export function namesAllowed(names: CertNames, allowed: AllowedNames): boolean {
  const cns = allowed.cns ?? [];
  const hostnames = allowed.hostnames ?? [];
  if (cns.length > 0) return names.cn !== undefined && cns.includes(names.cn);
  if (hostnames.length > 0) return hostnames.some((h) => matchesHostname(names, h));
  return true;
}

/** The fields of etcd's "rejected connection" warning (embed/config_logging.go). */
export function rejectedConnectionFields(socket: TLSSocket, error: string): Record<string, unknown> {
  const remote = socket.remoteAddress === undefined ? '' : isIP(socket.remoteAddress) === 6 ? `[${socket.remoteAddress}]:${socket.remotePort}` : `${socket.remoteAddress}:${socket.remotePort}`;
  const serverName = (socket as TLSSocket & { servername?: string | false }).servername || '';
  const cert = socket.getPeerCertificate?.();
  if (cert && Object.keys(cert).length > 0) {
    const names = certNames(cert);
    return { 'remote-addr': remote, 'server-name': serverName, 'ip-addresses': names.ipAddresses, 'dns-names': names.dnsNames, error };
  }
  return { 'remote-addr': remote, 'server-name': serverName, error };
}

/** Serial numbers of the peer's certificate chain, leaf first. */
export function chainSerials(socket: TLSSocket): string[] {
  const out: string[] = [];
  const seen = new Set<PeerCertificate>();
  let c: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  while (c && Object.keys(c).length > 0 && !seen.has(c)) {
    seen.add(c);
    if (c.serialNumber) out.push(c.serialNumber);
    c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return out;
}

// OpenSSL's alert reasons, as Go's crypto/tls names the alert it received.
const ALERTS: Record<string, string> = {
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown certificate authority',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'unknown certificate',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'certificate required',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'handshake failure',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol version not supported',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'revoked certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'expired certificate',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'error decrypting message',
};

/** A TLS error in Go's words where Go has them ("remote error: tls: bad certificate"), else Node's message. */
export function goTlsError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const alert = ALERTS[code];
  if (alert !== undefined) return `remote error: tls: ${alert}`;
  return err.message;
}

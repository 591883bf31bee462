// The checks etcd's TLS listeners make once a handshake is done, described as data (so
// the settings can travel to the threads that accept connections) and turned into a
// check, with its "rejected connection" log line, where the connections are accepted.
import type { SecureVersion, TLSSocket } from 'node:tls';
import type { Logger } from '../pkg/logger.js';
import { checkCrl } from './crl.js';
import { allowedNamesConflict, certNames, chainSerials, ERR_CLIENT_CERT_AUTH, namesAllowed, rejectedConnectionFields, type AllowedNames } from './verify.js';

export interface TlsChecks extends AllowedNames {
  /** --client-crl-file / --peer-crl-file, read for each connection as etcd does. */
  crlFile?: string;
}

/** etcd's --tls-min-version / --tls-max-version names as Node's. */
export function nodeTlsVersion(v: string | undefined, fallback: SecureVersion): SecureVersion {
  if (v === 'TLS1.3') return 'TLSv1.3';
  if (v === 'TLS1.2') return 'TLSv1.2';
  return fallback;
}

/** Throws etcd's error for settings its TLS setup refuses. */
export function assertTlsChecks(checks: TlsChecks): void {
  const conflict = allowedNamesConflict(checks);
  if (conflict !== undefined) throw new Error(conflict);
}

/** Whether the checks ask anything of a connection. */
export function hasTlsChecks(checks: TlsChecks | undefined): checks is TlsChecks {
  return checks !== undefined && ((checks.cns?.length ?? 0) > 0 || (checks.hostnames?.length ?? 0) > 0 || !!checks.crlFile);
}

/**
 * The check for an accepted connection: allowed names (on a verified certificate, as
 * Go's VerifyPeerCertificate sees it), then the revocation list; a refusal is logged
 * with etcd's "rejected connection" line. undefined when nothing is to be checked.
 */
export function connectionGate(checks: TlsChecks | undefined, logger: Logger): ((socket: TLSSocket) => boolean) | undefined {
  if (!hasTlsChecks(checks)) return undefined;
  assertTlsChecks(checks);
  const names = (checks.cns?.length ?? 0) > 0 || (checks.hostnames?.length ?? 0) > 0;
  return (socket) => {
    const cert = socket.getPeerCertificate();
    const hasCert = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
    let why: string | undefined;
    if (names && hasCert && socket.authorized && !namesAllowed(certNames(cert), checks)) why = ERR_CLIENT_CERT_AUTH;
    if (why === undefined && checks.crlFile && hasCert) why = checkCrl(checks.crlFile, chainSerials(socket));
    if (why === undefined) return true;
    logger.warn('rejected connection', rejectedConnectionFields(socket, why));
    return false;
  };
}

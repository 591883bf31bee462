// Who a call says it is, as the member port takes it: its token metadata and, on
// a TLS connection with a client certificate, the certificate's CN.
import type { CallContext } from '../grpc/types.js';
import type { Credentials } from '../port/member-port.js';

export function credentialsOf(call: Pick<CallContext, 'metadata' | 'tlsPeerCertificate'>): Credentials {
  const token = first(call.metadata['token']) ?? first(call.metadata['authorization']);
  const cn = call.tlsPeerCertificate?.subject?.CN;
  const commonName = Array.isArray(cn) ? cn[0] : cn;
  if (token === undefined && !commonName) return {};
  return { token, commonName: commonName || undefined };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

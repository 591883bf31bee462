// One etcd endpoint: its URL as given, the dial target and TLS options.
import type { ConnectionOptions } from 'node:tls';

export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server certificate verification (etcdctl --insecure-skip-tls-verify). */
  insecureSkipVerify?: boolean;
  servername?: string;
}

export interface Endpoint {
  /** As the user wrote it: reported back in errors and by etcdctl. */
  readonly raw: string;
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

/** Accepts "host:port", "http://host:port" and "https://host:port", as etcd's clients do. */
export function parseEndpoint(raw: string, tlsByDefault = false): Endpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${tlsByDefault ? 'https' : 'http'}://${raw}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported endpoint scheme: ${raw}`);
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 2379);
  return { raw, url, host, port, secure };
}

export function tlsConnectionOptions(tls: TlsOptions | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    servername: tls.servername,
    rejectUnauthorized: !tls.insecureSkipVerify,
    ALPNProtocols: ['h2'],
  };
}

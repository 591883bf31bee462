// DNS SRV discovery of a cluster's client endpoints, as etcd's srv.GetClient: the
// records _etcd-client-ssl._tcp.<domain> (https) and _etcd-client._tcp.<domain> (http),
// each with an optional "-<name>" suffix on the service; failing both is an error.
import type { SrvRecord } from 'node:dns';

export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

/** etcd's GetSRVService: "etcd-client", "-ssl" for https, then "-<serviceName>". */
export function srvServiceName(service: string, serviceName: string, scheme: 'http' | 'https'): string {
  const base = scheme === 'https' ? `${service}-ssl` : service;
  return serviceName !== '' ? `${base}-${serviceName}` : base;
}

export interface DiscoveredEndpoint {
  /** "https://host:port" or "http://host:port". */
  url: string;
  record: SrvRecord;
}

/** The client endpoints a domain publishes; throws etcd's "dns lookup errors: ..." when neither lookup works. */
export async function discoverSrvEndpoints(domain: string, serviceName: string, resolve: SrvResolver): Promise<DiscoveredEndpoint[]> {
  const out: DiscoveredEndpoint[] = [];
  const errors: string[] = [];
  for (const scheme of ['https', 'http'] as const) {
    const name = `_${srvServiceName('etcd-client', serviceName, scheme)}._tcp.${domain}`;
    try {
      for (const r of await resolve(name)) {
        const host = r.name.replace(/\.$/, '');
        out.push({ url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${r.port}`, record: r });
      }
    } catch (err) {
      errors.push(`lookup ${name}: ${(err as Error).message}`);
    }
  }
  if (errors.length === 2) throw new Error(`dns lookup errors: ${errors[0]} and ${errors[1]}`);
  return out;
}

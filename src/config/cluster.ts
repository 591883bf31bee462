import { urlList } from './flag-kinds.js';
import { DEFAULT_INITIAL_CLUSTER, DEFAULT_NAME } from './defaults.js';
import { goQuote, urlString } from './go-values.js';
import type { EtcdConfig } from './types.js';

/** Parses "name=url,name=url" (a name may repeat to list several URLs), as etcd's types.NewURLsMap. */
export function parseInitialCluster(text: string): { cluster: Map<string, URL[]> } | { error: string } {
  const raw = new Map<string, string[]>();
  for (const pair of text.split(',')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const url = eq < 0 ? '' : pair.slice(eq + 1);
    raw.set(name, [...(raw.get(name) ?? []), url]);
  }
  const cluster = new Map<string, URL[]>();
  for (const [name, urls] of raw) {
    const r = urlList(urls.join(','));
    if ('error' in r) return { error: r.error };
    cluster.set(name, r.value as URL[]);
  }
  return { cluster };
}

/** The cluster as etcd prints a URLsMap: sorted name=url pairs. */
export function initialClusterString(cluster: ReadonlyMap<string, readonly URL[]>): string {
  const pairs: string[] = [];
  for (const [name, urls] of cluster) for (const u of urls) pairs.push(`${name}=${urlString(u)}`);
  return pairs.sort().join(',');
}

/**
 * When --name is changed but --initial-cluster is left at its default, etcd bootstraps a
 * one-member cluster of this member's advertise peer URLs.
 */
export function deriveInitialCluster(cfg: EtcdConfig): void {
  if (cfg.name !== DEFAULT_NAME && cfg.initialClusterText === DEFAULT_INITIAL_CLUSTER && cfg.initialAdvertisePeerUrls.length > 0) {
    cfg.initialClusterText = cfg.initialAdvertisePeerUrls.map((u) => `${cfg.name}=${urlString(u)}`).join(',');
  }
}

const sortStrings = (xs: string[]) => [...xs].sort();

function goQuoteList(xs: readonly string[]): string {
  return `[${xs.map(goQuote).join(' ')}]`;
}

// Peer URLs are compared as written; etcd additionally resolves host names before comparing.
function advertiseMatchesCluster(cfg: EtcdConfig): string | undefined {
  const urls = sortStrings((cfg.initialCluster.get(cfg.name) ?? []).map(urlString));
  const apurls = sortStrings(cfg.initialAdvertisePeerUrls.map(urlString));
  if (urls.length === apurls.length && urls.every((u, i) => u === apurls[i])) return undefined;
  const reason =
    urls.length !== apurls.length
      ? `len(${goQuoteList(apurls)}) != len(${goQuoteList(urls)})`
      : `resolved urls: ${goQuote(apurls.join(','))} != ${goQuote(urls.join(','))}`;
  const apSet = new Set(apurls);
  const clusterSet = new Set(urls);
  const missingFromAdvertise = urls.filter((u) => !apSet.has(u));
  if (missingFromAdvertise.length > 0) {
    const listed = missingFromAdvertise.map((u) => `${cfg.name}=${u}`).join(',');
    return `--initial-cluster has ${listed} but missing from --initial-advertise-peer-urls=${apurls.join(',')} (${reason})`;
  }
  const self = apurls.map((u) => `${cfg.name}=${u}`).join(',');
  const missingFromCluster = apurls.filter((u) => !clusterSet.has(u));
  if (missingFromCluster.length > 0) {
    return `--initial-advertise-peer-urls has ${missingFromCluster.join(',')} but missing from --initial-cluster=${self}`;
  }
  return `failed to resolve ${apurls.join(',')} to match --initial-cluster=${self} (${reason})`;
}

function hasDuplicateUrl(cluster: ReadonlyMap<string, readonly URL[]>): boolean {
  const seen = new Set<string>();
  for (const urls of cluster.values()) {
    for (const u of urls) {
      const s = urlString(u);
      if (seen.has(s)) return true;
      seen.add(s);
    }
  }
  return false;
}

/**
 * The checks etcd makes before bootstrapping a member that has no data yet (a restarted member
 * ignores --initial-cluster and skips them). Returns etcd's error text.
 */
export function verifyBootstrap(cfg: EtcdConfig): string | undefined {
  if (cfg.discovery !== '' || cfg.discoverySrv !== '') return undefined;
  if (!cfg.initialCluster.has(cfg.name)) return `couldn't find local name ${goQuote(cfg.name)} in the initial cluster configuration`;
  if (cfg.initialClusterState === 'new') {
    const why = advertiseMatchesCluster(cfg);
    if (why !== undefined) return why;
  }
  if (hasDuplicateUrl(cfg.initialCluster)) return `initial cluster ${initialClusterString(cfg.initialCluster)} has duplicate url`;
  return undefined;
}

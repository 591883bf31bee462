// Makes etcdctl output from two different servers comparable. Only fields that
// legitimately differ between two freshly started single-member clusters given
// the same commands are masked: identities (cluster/member/leader IDs), the raft
// term and log index (elections and internal entries are implementation detail),
// on-disk database size, ports and timings. Revisions, versions, counts, keys and
// values are left as they are: those must match exactly.

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table';

/** Ports of the member whose URLs appear in the output; without it any 127.0.0.1 port is masked. */
export interface PortsOf {
  clientPort: number;
  peerPort: number;
}

const ID = '<id>';

function maskUrls(text: string, ports?: PortsOf): string {
  let out = text;
  if (ports) {
    out = out
      .replaceAll(`127.0.0.1:${ports.clientPort}`, '127.0.0.1:<client-port>')
      .replaceAll(`127.0.0.1:${ports.peerPort}`, '127.0.0.1:<peer-port>');
  }
  return out.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
}

function maskJson(text: string): string {
  const numeric = ['cluster_id', 'member_id', 'raft_term', 'leader', 'raftTerm', 'raftIndex', 'raftAppliedIndex', 'dbSize', 'dbSizeInUse', 'ID'];
  let out = text;
  for (const key of numeric) {
    out = out.replace(new RegExp(`"${key}":\\d+`, 'g'), `"${key}":"<${key}>"`);
  }
  return out.replace(/"took":"[^"]*"/g, '"took":"<took>"');
}

function maskFields(text: string): string {
  const numeric = ['ClusterID', 'MemberID', 'RaftTerm', 'Leader', 'RaftIndex', 'RaftAppliedIndex', 'DBSize', 'DBSizeInUse', 'ID'];
  let out = text;
  for (const key of numeric) {
    out = out.replace(new RegExp(`^"${key}" : \\d+$`, 'gm'), `"${key}" : <${key}>`);
  }
  return out.replace(/^"Took" : .*$/gm, '"Took" : <took>');
}

/** Per column title, the mask for its cells; IDs are hex in tables. */
const TABLE_MASKS: Record<string, string> = {
  'ID': ID,
  'DB SIZE': '<db-size>',
  'RAFT TERM': '<raft-term>',
  'RAFT INDEX': '<raft-index>',
  'RAFT APPLIED INDEX': '<raft-applied-index>',
  'TOOK': '<took>',
};

/** Re-renders a table without padding so that column widths (which follow cell contents) do not matter. */
function maskTable(text: string): string {
  let header: string[] | undefined;
  const lines = text.split('\n').map((line) => {
    if (/^\+[-+]+\+$/.test(line)) return '+';
    if (!line.startsWith('|')) return line;
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (header === undefined) {
      header = cells;
      return `|${cells.join('|')}|`;
    }
    const h = header;
    return `|${cells.map((c, i) => (c !== '' && TABLE_MASKS[h[i] ?? ''] !== undefined ? TABLE_MASKS[h[i]!] : c)).join('|')}|`;
  });
  return lines.join('\n');
}

const HEX_ID = /^[0-9a-f]{1,16}$/;

function maskSimple(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const f = line.split(', ');
      // member list: ID, status, name, peer URLs, client URLs, is learner
      if (f.length === 6 && HEX_ID.test(f[0]!) && (f[1] === 'started' || f[1] === 'unstarted')) {
        f[0] = ID;
        return f.join(', ');
      }
      // endpoint status: endpoint, ID, version, db size, is leader, is learner, term, index, applied index, errors
      if (f.length === 10 && /^https?:\/\//.test(f[0]!) && HEX_ID.test(f[1]!)) {
        f[1] = ID;
        f[3] = '<db-size>';
        f[6] = '<raft-term>';
        f[7] = '<raft-index>';
        f[8] = '<raft-applied-index>';
        return f.join(', ');
      }
      return line.replace(/took = \S+$/, 'took = <took>');
    })
    .join('\n');
}

export function normalize(text: string, format: OutputFormat, ports?: PortsOf): string {
  const t = maskUrls(text, ports);
  switch (format) {
    case 'json':
      return maskJson(t);
    case 'fields':
      return maskFields(t);
    case 'table':
      return maskTable(t);
    case 'simple':
      return maskSimple(t);
  }
}

/**
 * etcdctl's client logs a JSON line per failed attempt before printing "Error: …";
 * its timestamp and random client target differ per run, the error text must not.
 */
export function normalizeStderr(text: string, ports?: PortsOf): string {
  return maskUrls(text, ports)
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/endpoint:\/\/client-[0-9a-f-]+\//g, 'endpoint://client-<uuid>/')
    .replace(/took = \S+/g, 'took = <took>');
}

// Cross-key facts the per-key search cannot see: etcd's revision is one counter for
// the whole store, advanced once per modification and read linearizably, so revisions
// must follow real time across keys and no two modifications may share one.
import type { KvOperation } from './kv-model.js';

export interface RevisionViolation {
  message: string;
  operations: KvOperation[];
}

/** True when the operation's result says it created a new revision. */
function modifies(op: KvOperation): boolean {
  const o = op.output;
  if (o === undefined) return false;
  switch (o.kind) {
    case 'put': return true;
    case 'delete': return o.deleted > 0;
    case 'cas':
    case 'txn': return o.succeeded;
    case 'get': return false;
  }
}

/**
 * Checks completed operations that carry a header revision: (1) distinct modifications
 * have distinct revisions; (2) an operation called after another returned sees a
 * revision at least as new, and strictly newer if it modifies. Returns the first
 * violations found (at most `limit`).
 */
export function checkRevisions(history: readonly KvOperation[], limit = 10): RevisionViolation[] {
  const violations: RevisionViolation[] = [];
  const ops = history.filter((op) => op.return !== undefined && op.output?.revision !== undefined);
  const byRevision = new Map<number, KvOperation>();
  for (const op of ops) {
    if (!modifies(op)) continue;
    const rev = op.output!.revision!;
    const other = byRevision.get(rev);
    if (other !== undefined && violations.length < limit) {
      violations.push({ message: `two modifications at revision ${rev}`, operations: [other, op] });
    }
    byRevision.set(rev, op);
  }
  const byReturn = [...ops].sort((a, b) => a.return! - b.return!);
  const byCall = [...ops].sort((a, b) => a.call - b.call);
  let newest: KvOperation | undefined;
  let j = 0;
  for (const op of byCall) {
    // Strictly earlier returns only: touching intervals are concurrent, as in the search.
    while (j < byReturn.length && byReturn[j]!.return! < op.call) {
      const done = byReturn[j++]!;
      if (newest === undefined || done.output!.revision! > newest.output!.revision!) newest = done;
    }
    if (newest === undefined || violations.length >= limit) continue;
    const before = newest.output!.revision!;
    const rev = op.output!.revision!;
    if (rev < before || (rev === before && modifies(op))) {
      violations.push({
        message: `revision ${rev} ${modifies(op) ? 'written' : 'read'} after an operation had returned revision ${before}`,
        operations: [newest, op],
      });
    }
  }
  return violations;
}

// make-mirror: copies the source's keys (under --prefix) to a destination cluster
// at one revision, then replays every later change, one destination txn per
// source revision. The count of mirrored keys is printed every 30 s.
import { prefixEnd } from '../../../client/bytes.js';
import { Op } from '../../../client/kv.js';
import type { RequestOp } from '../../../pb/kv.js';
import { CliExit, ExitCode } from '../exit.js';
import { parseDuration, type FlagSpec } from '../flags.js';
import { fail, type Ctx } from '../context.js';

const b = (name: string, def = 'false'): FlagSpec => ({ name, kind: 'bool', default: def });
const s = (name: string): FlagSpec => ({ name, kind: 'string', default: '' });

export const MIRROR_FLAGS: FlagSpec[] = [s('prefix'), s('dest-prefix'), b('no-dest-prefix'), s('dest-cert'), s('dest-key'), s('dest-cacert'), b('dest-insecure-transport', 'true')];

/** Keys per range request of the initial copy (clientv3/mirror's batch). */
const BATCH = 1000;

/** Replaces the first occurrence of `from` in `key` with `to`, as strings.Replace(…, 1). */
export function replaceFirst(key: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const k = Buffer.from(key);
  const at = from.length === 0 ? 0 : k.indexOf(from);
  if (at < 0) return key;
  return Buffer.concat([k.subarray(0, at), to, k.subarray(at + from.length)]);
}

export async function makeMirror(c: Ctx): Promise<void> {
  if (c.args.length !== 1) throw new CliExit(ExitCode.BadArgs, 'make-mirror takes one destination argument');
  const dest = await c.client([c.args[0]!], false, false, 'dest-');
  const src = await c.client();
  const enc = new TextEncoder();
  const prefix = c.str('prefix');
  if (c.bool('no-dest-prefix') && c.str('dest-prefix') !== '') throw new CliExit(ExitCode.BadArgs, '`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one');
  const destPrefix = c.bool('no-dest-prefix') ? '' : c.str('dest-prefix') || prefix;
  const from = enc.encode(prefix);
  const to = enc.encode(destPrefix);
  const rename = (k: Uint8Array) => replaceFirst(k, from, to);

  let total = 0;
  const interval = parseDuration(process.env.ETCDCTL_TS_MIRROR_REPORT_INTERVAL ?? '30s');
  const report = setInterval(() => c.io.out(`${total}\n`), interval);
  try {
    // The initial copy reads one revision throughout; the watch resumes right after it.
    const rev = (await src.kv.get('foo').catch((e) => fail(e))).header!.revision;
    let key: Uint8Array = prefix === '' ? Uint8Array.of(0) : from;
    const rangeEnd = prefix === '' ? Uint8Array.of(0) : prefixEnd(from);
    for (;;) {
      const r = await src.kv.get(key, { rangeEnd, limit: BATCH, revision: rev }).catch((e) => fail(e));
      for (const kv of r.kvs) {
        await dest.kv.put(rename(kv.key), kv.value).catch((e) => fail(e));
        total++;
      }
      if (!r.more || r.kvs.length === 0) break;
      key = Buffer.concat([r.kvs[r.kvs.length - 1]!.key, Uint8Array.of(0)]);
    }

    const watcher = src.watch(from, { prefix: true, startRevision: rev + 1 });
    for await (const wr of watcher) {
      if (wr.compactRevision !== 0) fail(new CliExit(ExitCode.Error, 'etcdserver: mvcc: required revision has been compacted'));
      let ops: RequestOp[] = [];
      let lastRev = 0;
      const flush = async () => {
        if (ops.length === 0) return;
        await dest.kv.txn().then(...ops).commit().catch((e) => fail(e));
        ops = [];
      };
      for (const ev of wr.events) {
        const next = ev.kv.modRevision;
        if (lastRev !== 0 && next > lastRev) await flush();
        lastRev = next;
        ops.push(ev.type === 1 ? Op.delete(rename(ev.kv.key)) : Op.put(rename(ev.kv.key), ev.kv.value));
        total++;
      }
      await flush();
    }
  } catch (err) {
    fail(err);
  } finally {
    clearInterval(report);
  }
}

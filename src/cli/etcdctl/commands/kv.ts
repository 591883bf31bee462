// get, put, del, txn, compaction.
import { Op, Compare as Cmp, type CompareOp, type GetOptions } from '../../../client/kv.js';
import type { RequestOp, Compare } from '../../../pb/kv.js';
import { CliExit, ExitCode } from '../exit.js';
import { parseFlags, UsageError, type FlagSpec } from '../flags.js';
import { fail, type Ctx } from '../context.js';
import { argify } from '../argify.js';
import { goQuote } from '../format.js';
import { scanCompare } from '../scan.js';

const b = (name: string, short?: string): FlagSpec => ({ name, kind: 'bool', default: 'false', short });
const s = (name: string, def = ''): FlagSpec => ({ name, kind: 'string', default: def });
const i = (name: string): FlagSpec => ({ name, kind: 'int', default: '0' });

export const GET_FLAGS = [s('consistency', 'l'), s('order'), s('sort-by'), i('limit'), b('prefix'), b('from-key'), i('rev'), b('keys-only'), b('print-value-only')];
export const PUT_FLAGS = [s('lease', '0'), b('prev-kv'), b('ignore-value'), b('ignore-lease')];
export const DEL_FLAGS = [b('prefix'), b('prev-kv'), b('from-key')];

const bad = (m: string) => new CliExit(ExitCode.BadArgs, m);

export function getOp(c: Pick<Ctx, 'bool' | 'str' | 'int'>, args: string[]): { key: string; opts: GetOptions } {
  if (args.length === 0) throw bad('get command needs one argument as key and an optional argument as range_end');
  if (c.bool('prefix') && c.bool('from-key')) throw bad('`--prefix` and `--from-key` cannot be set at the same time, choose one');
  const opts: GetOptions = {};
  const consistency = c.str('consistency');
  if (consistency === 's') opts.serializable = true;
  else if (consistency !== 'l') throw new CliExit(ExitCode.BadFeature, `unknown consistency flag "${consistency}"`);
  const key = args[0]!;
  if (args.length > 1) {
    if (c.bool('prefix') || c.bool('from-key')) throw bad('too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
    opts.rangeEnd = args[1]!;
  }
  opts.limit = c.int('limit');
  opts.revision = c.int('rev');
  const order = c.str('order');
  const ORDERS: Record<string, GetOptions['sortOrder']> = { ASCEND: 'ascend', DESCEND: 'descend', '': 'none' };
  if (!(order in ORDERS)) throw new CliExit(ExitCode.BadFeature, `bad sort order ${order}`);
  opts.sortOrder = ORDERS[order];
  const target = c.str('sort-by');
  const TARGETS: Record<string, GetOptions['sortTarget']> = { CREATE: 'create', KEY: 'key', MODIFY: 'mod', VALUE: 'value', VERSION: 'version', '': 'key' };
  if (!(target in TARGETS)) throw new CliExit(ExitCode.BadFeature, `bad sort target ${target}`);
  opts.sortTarget = TARGETS[target];
  // etcdctl sorts by key ascending when only a target is given.
  if (target !== '' && order === '') opts.sortOrder = 'ascend';
  if (c.bool('prefix')) opts.prefix = true;
  if (c.bool('from-key')) opts.fromKey = true;
  opts.keysOnly = c.bool('keys-only');
  return { key, opts };
}

export async function get(c: Ctx): Promise<void> {
  const { key, opts } = getOp(c, c.args);
  if (c.bool('print-value-only')) {
    if (c.display.format !== 'simple') throw bad('print-value-only is only for `--write-out=simple`');
    c.display.valueOnly = true;
  }
  const cli = await c.client();
  const res = await cli.kv.get(key, { ...opts, ...c.timeout() }).catch((e) => fail(e));
  c.display.get(res);
}

async function readValue(c: Ctx): Promise<Uint8Array> {
  const v = await c.io.readStdinBytes();
  if (v.length === 0) throw bad('put command needs 1 argument and input from stdin or 2 arguments');
  return v;
}

function leaseOf(text: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw bad(`bad lease ID (strconv.ParseInt: parsing "${text}": invalid syntax), expecting ID in Hex`);
  return BigInt('0x' + text);
}

export function putOp(c: Pick<Ctx, 'bool' | 'str'>, args: string[], stdinValue?: string | Uint8Array): RequestOp {
  const key = args[0]!;
  if (c.bool('ignore-value') && args.length === 2) throw bad("put command needs only 1 argument when 'ignore-value' is set");
  let value: string | Uint8Array | undefined = args[1] ?? stdinValue;
  if (value === undefined && c.bool('ignore-value')) value = '';
  if (value === undefined) throw bad('put command needs 1 argument and input from stdin or 2 arguments');
  return Op.put(key, value, { lease: leaseOf(c.str('lease')), prevKv: c.bool('prev-kv'), ignoreValue: c.bool('ignore-value'), ignoreLease: c.bool('ignore-lease') });
}

export async function put(c: Ctx): Promise<void> {
  if (c.args.length === 0) throw bad('put command needs 1 argument and input from stdin or 2 arguments');
  const needStdin = c.args.length === 1 && !c.bool('ignore-value');
  const op = putOp(c, c.args, needStdin ? await readValue(c) : undefined);
  const cli = await c.client();
  const p = op.requestPut!;
  const res = await cli.kv.put(p.key, p.value, { lease: p.lease, prevKv: p.prevKv, ignoreValue: p.ignoreValue, ignoreLease: p.ignoreLease, ...c.timeout() }).catch((e) => fail(e));
  c.display.put(res);
}

export function delOp(c: Pick<Ctx, 'bool'>, args: string[]): RequestOp {
  if (args.length === 0 || args.length > 2) throw bad('del command needs one argument as key and an optional argument as range_end');
  if (c.bool('prefix') && c.bool('from-key')) throw bad('`--prefix` and `--from-key` cannot be set at the same time, choose one');
  if (args.length > 1 && (c.bool('prefix') || c.bool('from-key'))) throw bad('too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
  return Op.delete(args[0]!, { rangeEnd: args[1], prefix: c.bool('prefix'), fromKey: c.bool('from-key'), prevKv: c.bool('prev-kv') });
}

export async function del(c: Ctx): Promise<void> {
  const op = delOp(c, c.args).requestDeleteRange!;
  const cli = await c.client();
  const res = await cli.kv.delete(op.key, { rangeEnd: op.rangeEnd, prevKv: op.prevKv, ...c.timeout() }).catch((e) => fail(e));
  c.display.del(res);
}

export async function compaction(c: Ctx): Promise<void> {
  if (c.args.length !== 1) throw bad('compaction command needs 1 argument');
  const text = c.args[0]!;
  if (!/^[-+]?\d+$/.test(text)) throw new CliExit(ExitCode.Error, `strconv.ParseInt: parsing "${text}": invalid syntax`);
  const cli = await c.client();
  await cli.kv.compact(Number(text), { physical: c.bool('physical'), ...c.timeout() }).catch((e) => fail(e));
  c.io.out(`compacted revision ${text}\n`);
}

/** One "get|put|del …" line of a transaction, parsed with that command's flags. */
function parseRequestOp(line: string): RequestOp {
  const args = argify(line);
  const invalid = () => new CliExit(ExitCode.InvalidInput, `invalid txn request: ${line}`);
  if (args.length < 2) throw new CliExit(ExitCode.InvalidInput, `invalid txn compare request: ${line}`);
  const specs: Record<string, FlagSpec[]> = { get: GET_FLAGS, put: PUT_FLAGS, del: DEL_FLAGS };
  const spec = specs[args[0]!];
  if (!spec) throw invalid();
  try {
    const p = parseFlags(args.slice(1), spec);
    const view = {
      bool: (n: string) => p.values.get(n) === 'true',
      str: (n: string) => p.values.get(n) ?? '',
      int: (n: string) => Number(p.values.get(n) ?? '0'),
    };
    if (args[0] === 'get') {
      const { key, opts } = getOp(view, p.args);
      return Op.get(key, opts);
    }
    if (args[0] === 'put') {
      if (p.args.length !== 2) throw invalid();
      return putOp(view, p.args);
    }
    return delOp(view, p.args);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliExit) throw invalid();
    throw err;
  }
}

const COMPARE_TARGETS = new Map<string, 'version' | 'create' | 'mod' | 'value' | 'lease'>([
  ['ver', 'version'], ['version', 'version'], ['c', 'create'], ['create', 'create'], ['m', 'mod'], ['mod', 'mod'], ['val', 'value'], ['value', 'value'], ['lease', 'lease'],
]);

/** One comparison line, `target("key") op "value"`, read as etcdctl's parseCompare reads it. */
function parseCompare(line: string): Compare {
  const paren = line.indexOf('(');
  if (paren < 0) throw new CliExit(ExitCode.InvalidInput, `malformed comparison: ${line}`);
  const target = line.slice(0, paren);
  const { n, key, op: opText, value: val } = scanCompare(line.slice(paren + 1));
  if (n !== 3) throw new CliExit(ExitCode.InvalidInput, `malformed comparison: ${line}; got ${target}(${goQuote(key)}) ${opText} ${goQuote(val)}`);
  const kind = COMPARE_TARGETS.get(target);
  if (kind === undefined) throw new CliExit(ExitCode.InvalidInput, `malformed comparison: ${line} (unknown target ${target})`);
  let num = 0;
  if (kind !== 'value') {
    if (!/^[-+]?\d+$/.test(val)) throw new CliExit(ExitCode.InvalidInput, `invalid txn compare request: ${line}`);
    num = Number(val);
  }
  // etcdctl panics on an operator clientv3 doesn't know; refused here instead.
  if (!['=', '!=', '>', '<'].includes(opText)) throw new CliExit(ExitCode.InvalidInput, `malformed comparison: ${line}`);
  const op = opText as CompareOp;
  switch (kind) {
    case 'version':
      return Cmp.version(key, op, num);
    case 'create':
      return Cmp.createRevision(key, op, num);
    case 'mod':
      return Cmp.modRevision(key, op, num);
    case 'value':
      return Cmp.value(key, op, val);
    case 'lease':
      return Cmp.lease(key, op, BigInt(num));
  }
}

export async function txn(c: Ctx): Promise<void> {
  if (c.args.length > 0) throw bad('txn command does not accept argument');
  const interactive = c.bool('interactive');
  const lines = c.io.stdinLines()[Symbol.asyncIterator]();
  const prompt = (t: string) => interactive && c.io.out(t + '\n');
  const section = async <T>(parse: (l: string) => T): Promise<T[]> => {
    const out: T[] = [];
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new CliExit(ExitCode.InvalidInput, 'EOF');
      const line = next.value.trim();
      if (line === '') return out;
      out.push(parse(line));
    }
  };
  const cli = await c.client();
  prompt('compares:');
  const compares = await section(parseCompare);
  prompt('success requests (get, put, del):');
  const success = await section(parseRequestOp);
  prompt('failure requests (get, put, del):');
  const failure = await section(parseRequestOp);
  const res = await cli.kv.txn().if(...compares).then(...success).else(...failure).commit(c.timeout()).catch((e) => fail(e));
  c.display.txn(res);
}

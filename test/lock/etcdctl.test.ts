// The real etcdctl against etcd-ts and real etcd side by side: watch (prefix,
// --rev, --prev-kv, --progress-notify, interactive), lock (held and exec form)
// and elect (campaign and observe). Long-running etcdctl commands are bounded
// by a timeout and killed; output is compared after masking lease IDs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ETCDCTL_BIN, etcdctl, startMembers, type Member } from '../helpers/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  out(): string;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts etcdctl and keeps it running (stdin held open if given) until kill() or its 10 s bound. */
function run(m: Member, args: string[], stdin?: string): Running {
  const c = spawn(ETCDCTL_BIN, [`--endpoints=${m.endpoint}`, ...args], { env: { PATH: process.env.PATH ?? '', ETCDCTL_API: '3' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (out += d.toString()));
  c.stdin.on('error', () => {});
  if (stdin !== undefined) c.stdin.write(stdin);
  const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  const bound = setTimeout(() => c.kill('SIGKILL'), 10_000);
  void exited.then(() => clearTimeout(bound));
  return {
    out: () => withoutCanceledRetries(out),
    exited,
    async kill() {
      c.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * etcdctl's client logs a canceled unary call as a retry warning when SIGTERM lands
 * while one is in flight (observe's range, campaign's resign): timing, not behaviour.
 */
const withoutCanceledRetries = (s: string) =>
  s.replace(/^\{"level":"warn"[^\n]*"retrying of unary invoker failed"[^\n]*code = Canceled[^\n]*\n/gm, '');

/** Polls until pred holds on the output (bounded). */
async function until(r: Running, pred: (out: string) => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred(r.out())) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${r.out()}`);
    await sleep(25);
  }
}

const maskLeases = (s: string) => s.replace(/\/[0-9a-f]{8,16}\b/g, '/<lease>');

let ts: Member;
let etcd: Member;
before(async () => {
  [ts, etcd] = await startMembers([['etcd-ts'], ['etcd']]);
});
after(async () => {
  await Promise.all([ts?.close(), etcd?.close()]);
});

async function both<T>(fn: (m: Member) => Promise<T>): Promise<[T, T]> {
  return Promise.all([fn(ts), fn(etcd)]);
}

test('etcdctl watch --prefix --rev --prev-kv replays history then follows live writes', async () => {
  const [a, b] = await both(async (m) => {
    for (const args of [['put', 'w/a', '1'], ['put', 'w/b', '2'], ['put', 'w/a', '3'], ['del', 'w/b'], ['put', 'x', 'not watched']]) {
      assert.equal((await etcdctl(m, args)).code, 0);
    }
    const w = run(m, ['watch', '--prefix', 'w/', '--rev', '1', '--prev-kv']);
    await until(w, (o) => o.split('\n').length >= 12);
    await etcdctl(m, ['put', 'w/c', 'live']);
    await until(w, (o) => o.includes('live'));
    await w.kill();
    return w.out();
  });
  assert.equal(a, b);
  assert.match(a, /^PUT\nw\/a\n1\nPUT\nw\/b\n2\nPUT\nw\/a\n1\nw\/a\n3\nDELETE\nw\/b\n2\nw\/b\n\nPUT\nw\/c\nlive\n$/);
});

test('etcdctl watch -i: watch commands read from stdin', async () => {
  const [a, b] = await both(async (m) => {
    await etcdctl(m, ['put', 'ik', 'v1']);
    const i = run(m, ['watch', '-i'], 'watch ik\nwatch --rev 1 --prev-kv ik\n');
    await until(i, (o) => o.includes('v1'));
    await etcdctl(m, ['put', 'ik', 'v2']);
    await until(i, (o) => o.split('v2').length === 3);
    await i.kill();
    return i.out().split('\n').sort().join('\n');
  });
  assert.equal(a, b);
  assert.match(a, /v1/);
});

test('etcdctl lock: the exec form runs the command under the lock', async () => {
  const [a, b] = await both(async (m) => {
    const r = await etcdctl(m, ['lock', 'execlock', 'echo', 'under the lock'], { timeoutMs: 10_000 });
    return { code: r.code, stdout: r.stdout };
  });
  assert.deepEqual(a, b);
  assert.deepEqual(a, { code: 0, stdout: 'under the lock\n' });
});

test('etcdctl lock: a second locker waits until the holder goes away', async () => {
  const [a, b] = await both(async (m) => {
    const holder = run(m, ['lock', 'mylock']);
    await until(holder, (o) => o.includes('mylock/'));
    const waiter = run(m, ['lock', 'mylock', 'echo', 'second']);
    await sleep(700);
    const whileHeld = waiter.out();
    await holder.kill();
    const code = await waiter.exited;
    return { holder: maskLeases(holder.out()), whileHeld, after: waiter.out(), code };
  });
  assert.deepEqual(a, b);
  assert.deepEqual(a, { holder: 'mylock/<lease>\n\n', whileHeld: '', after: 'second\n', code: 0 });
});

test('etcdctl elect: campaign, observe, and the next candidate takes over', async () => {
  const [a, b] = await both(async (m) => {
    const leader = run(m, ['elect', 'myelection', 'first']);
    await until(leader, (o) => o.includes('first'));
    const observer = run(m, ['elect', '-l', 'myelection']);
    await until(observer, (o) => o.includes('first'));
    const second = run(m, ['elect', 'myelection', 'second']);
    await sleep(500);
    const secondWhileFirstLeads = second.out();
    await leader.kill();
    await until(second, (o) => o.includes('second'));
    await until(observer, (o) => o.includes('second'));
    await Promise.all([second.kill(), observer.kill()]);
    return {
      leader: maskLeases(leader.out()),
      secondWhileFirstLeads,
      second: maskLeases(second.out()),
      observer: maskLeases(observer.out()),
    };
  });
  assert.deepEqual(a, b);
  assert.deepEqual(a, {
    leader: 'myelection/<lease>\nfirst\n',
    secondWhileFirstLeads: '',
    second: 'myelection/<lease>\nsecond\n',
    observer: 'myelection/<lease>\nfirst\nmyelection/<lease>\nsecond\n',
  });
});

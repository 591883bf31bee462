// Bad input on the JSON gateway, side by side with the real etcd 3.4.23: each seeded
// input goes to both; where etcd answers with a clean error (a status and its error
// JSON, or its plain-text 404/405), etcd-ts must answer the same; anything else must
// get a whole answer from etcd-ts, never a hang or a crash. Bodies cut mid-way (chunked
// or short of their Content-Length) must leave the member serving. Some inputs make
// etcd 3.4.23 panic and exit (an alarm action or a sort target outside its enum): those
// are not compared, and the reference starts again. A failing seed replays with
// FUZZ_SEED=<seed>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startPair } from '../compat/pair.js';
import { mulberry32 } from '../helpers/rng.js';
import { probeHealth, type Member } from '../helpers/member.js';
import { generateGatewayInput, type GatewayInput } from './gateway-inputs.js';

const TIME_BUDGET_MS = 12_000;
const INPUTS = 600;
const CUTS = 40;
/** etcd's default --max-request-bytes. */
const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

interface Answer {
  status: number;
  /** The whole body, or a streaming call's first line. */
  body: string;
}

/** Sends one input; a streaming answer is read to its first line. Undefined when no answer came (reset, or nothing in time). */
function send(endpoint: string, input: GatewayInput, timeoutMs = input.path === '/v3/watch' ? 1000 : 5000): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    const url = new URL(input.path, endpoint);
    const headers: Record<string, string | number> = { 'Content-Length': input.body.length };
    if (input.contentType) headers['Content-Type'] = input.contentType;
    let done = false;
    const finish = (a: Answer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(a);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const req = request(url, { method: input.method, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
        // A stream's first line is its answer (a watch stays open after it).
        if (input.path === '/v3/watch' && body.includes('\n')) finish({ status: res.statusCode!, body: body.slice(0, body.indexOf('\n')) });
      });
      res.on('end', () => finish({ status: res.statusCode!, body }));
      res.on('error', () => finish(undefined));
      // A watch that answered nothing in a second is a live stream waiting for events, not a hang.
      if (input.path === '/v3/watch') setTimeout(() => finish({ status: res.statusCode!, body }), 300);
    });
    req.on('error', () => finish(undefined));
    req.end(input.body);
  });
}

/** The part of an answer compared with etcd's: status, and the error's code and message (or the plain text). */
function errorView(a: Answer): unknown {
  try {
    const o = JSON.parse(a.body) as { error?: unknown; code?: unknown; message?: unknown; result?: unknown };
    if (o.error !== undefined) return { status: a.status, error: o.error, code: o.code, message: o.message };
    return undefined;
  } catch {
    return a.status >= 400 ? { status: a.status, text: a.body } : undefined;
  }
}

/** How many times the member's output has said "panic:" (Go's last words before it exits). */
function panics(m: Member): number {
  return m.logs().split('\npanic: ').length - 1;
}

/** A request whose body stops early: chunked and cut mid-chunk, or short of its Content-Length, then the socket closes. */
function cutBody(port: number, path: string, body: string, chunked: boolean, cutAt: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length + 100}`}\r\n\r\n`;
      const payload = chunked ? `${body.length.toString(16)}\r\n${body.slice(0, cutAt)}` : body.slice(0, cutAt);
      s.write(head + payload, () => setTimeout(() => s.destroy(), 20));
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

test('gateway bad input: etcd-ts answers as etcd 3.4.23 where etcd gives a clean error, and always answers', { timeout: 120_000 }, async (t) => {
  const pair = await startPair();
  try {
    const seed0 = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
    const deadline = Date.now() + TIME_BUDGET_MS;
    const mismatches: string[] = [];
    const kinds = new Map<string, number>();
    let tried = 0;
    let compared = 0;
    const referenceCrashes: string[] = [];
    for (let n = 0; n < INPUTS && Date.now() < deadline; n++) {
      const seed = seed0 + n;
      const input = generateGatewayInput(mulberry32(seed), MAX_REQUEST_BYTES);
      const panicsBefore = panics(pair.etcd);
      const want = await send(pair.etcd.endpoint, input);
      const got = await send(pair.ts.endpoint, input);
      tried++;
      const kind = input.kind.split(':')[0]!;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const what = `seed ${seed} ${input.kind} ${input.method} ${input.path} ${JSON.stringify(input.body.subarray(0, 120).toString())}`;
      if (panics(pair.etcd) > panicsBefore) {
        // etcd 3.4.23 panicked on this input and exited: nothing of its to compare, and
        // the reference starts again for the inputs after it. etcd-ts must still answer.
        referenceCrashes.push(what);
        await pair.etcd.restart();
        if (!got) mismatches.push(`${what}: no answer from etcd-ts`);
        continue;
      }
      if (!got) {
        // A watch request that asks nothing gets nothing from etcd either: the stream waits for its first request.
        if (want || input.path !== '/v3/watch') mismatches.push(`${what}: no answer from etcd-ts`);
        continue;
      }
      assert.ok(got.status >= 200 && got.status < 600, `${what}: status ${got.status}`);
      const expected = want && errorView(want);
      if (expected === undefined) continue;
      compared++;
      const actual = errorView(got);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push(`${what}:\n    etcd    ${JSON.stringify(expected)}\n    etcd-ts ${JSON.stringify(actual ?? got)}`);
    }
    // Bodies cut mid-way: nothing to compare (no answer can be read), but the member must go on serving.
    const rand = mulberry32(seed0);
    for (let n = 0; n < CUTS; n++) {
      const body = JSON.stringify({ key: 'Zm9v', value: Buffer.alloc(Math.floor(rand() * 50_000)).toString('base64') });
      await cutBody(pair.ts.clientPort, rand() < 0.5 ? '/v3/kv/put' : '/v3/watch', body, rand() < 0.5, Math.floor(rand() * body.length));
    }
    for (const c of referenceCrashes) t.diagnostic(`etcd 3.4.23 panicked and was restarted: ${c}`);
    t.diagnostic(`${tried} inputs from seed ${seed0} (${[...kinds].map(([k, c]) => `${k} ${c}`).join(', ')}), ${compared} compared with etcd's clean errors, ${CUTS} bodies cut mid-way`);
    assert.deepEqual(mismatches, [], `${mismatches.length} answers differ from etcd's:\n${mismatches.slice(0, 15).join('\n')}`);
    assert.ok(compared >= Math.min(50, tried / 3), `only ${compared} of ${tried} answers were compared`);
    // Still serving, and still writing.
    assert.ok(await probeHealth(pair.ts.endpoint, 2000), 'etcd-ts answers /health');
    const put = await send(pair.ts.endpoint, { kind: 'check', path: '/v3/kv/put', method: 'POST', body: Buffer.from('{"key":"YWZ0ZXI=","value":"b2s="}') });
    assert.equal(put?.status, 200, `a put after the fuzzing: ${JSON.stringify(put)}`);
  } finally {
    await pair.close();
  }
});

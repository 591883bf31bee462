// kill -9 at a random moment under concurrent writes loses nothing acknowledged,
// and a restart brings back exactly the acknowledged state, at the same revisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMember, grpcKv } from '../helpers/index.js';

test('kill -9 under write load loses no acknowledged write and keeps revisions', { timeout: 90_000 }, async () => {
  const member = await startMember('etcd-ts');
  try {
    for (let round = 0; round < 3; round++) {
      const c = grpcKv(member);
      const acked = new Map<string, { value: string; rev: number }>();
      let stop = false;
      const writers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 5000 && !stop; i++) {
          const key = `r${round}/w${w}/k${i}`; // one write per key: an in-flight write never shadows an acked one
          const value = `v${i}`;
          try {
            const resp = await c.kv.put({ key: Buffer.from(key), value: Buffer.from(value) });
            acked.set(key, { value, rev: Number(resp.header.revision) });
          } catch {
            return; // the member died: everything acknowledged so far is in `acked`
          }
        }
      });
      // The kill lands at a random moment once writes are being acknowledged: a fixed
      // delay from the start can pass before a busy machine's first put is answered.
      await firstAck(acked, 20_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 700)));
      await member.kill9();
      stop = true;
      await Promise.all(writers);
      c.close();
      assert.ok(acked.size > 0, 'some writes were acknowledged before the kill');

      await member.restart();
      const c2 = grpcKv(member);
      for (const [key, { value, rev }] of acked) {
        const r = await c2.kv.range({ key: Buffer.from(key) });
        assert.equal(r.kvs.length, 1, `acknowledged key ${key} is present`);
        assert.equal(Buffer.from(r.kvs[0].value).toString(), value, `latest acknowledged value of ${key}`);
        assert.equal(Number(r.kvs[0].mod_revision ?? r.kvs[0].modRevision), rev, `revision of ${key} unchanged`);
      }
      c2.close();
    }
  } finally {
    await member.close();
  }
});

/** Resolves once `acked` holds a write, polling every 10 ms for at most `timeoutMs`. */
async function firstAck(acked: ReadonlyMap<string, unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (acked.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../src/wal/index.js';
import { payload, tempDir } from './helpers.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'crash-child.js');
const SEG = 64 * 1024;

interface Round {
  acked: number[];
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child until `killAfterMs` after its first ack, then SIGKILLs it. */
function crashRound(dir: string, killAfterMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(SEG)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let stderr = '';
    let pending = '';
    let timer: NodeJS.Timeout | undefined;
    // Hard bound: no round outlives 10 s, whatever the child does (a busy machine can take
    // a second or more just to start the child's Node and open its WAL).
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) acked.push(Number(line));
        if (acked.length === 1 && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    // 'exit' follows the reap, so the child's pid is gone and its lock is stale.
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${stderr}`));
      else resolve({ acked, code, signal });
    });
  });
}

test('every acknowledged entry survives kill -9 at a random moment', async () => {
  const { dir, cleanup } = tempDir();
  const walDir = join(dir, 'wal');
  try {
    let everAcked = 0;
    let totalAcks = 0;
    for (let round = 0; round < 4; round++) {
      const killAfter = 100 + Math.floor(Math.random() * 600);
      const t0 = Date.now();
      const { acked } = await crashRound(walDir, killAfter);
      assert.ok(Date.now() - t0 < 11_000, `round ${round} took ${Date.now() - t0} ms`);
      assert.ok(acked.length > 0, `round ${round}: nothing acknowledged`);
      totalAcks += acked.length;
      const maxAck = Math.max(...acked);
      everAcked = Math.max(everAcked, maxAck);

      const { wal, replay } = await Wal.open(walDir, { segmentSize: SEG });
      const floor = replay.snapshot?.index ?? 0;
      const present = new Map(replay.entries.map((e) => [e.index, e]));
      // Replayed entries are contiguous after the snapshot and intact.
      replay.entries.forEach((e, k) => {
        assert.equal(e.index, floor + 1 + k);
        assert.deepEqual(e.data, payload(e.index, 1, 20 + ((e.index * 37) % 700)), `entry ${e.index} damaged`);
      });
      for (const i of acked) {
        if (i > floor) assert.ok(present.has(i), `round ${round}: acknowledged ${i} lost (floor ${floor}, last ${replay.entries.at(-1)?.index})`);
      }
      assert.ok(floor + replay.entries.length >= everAcked, 'log ends before the last acknowledged index');
      assert.ok(replay.hardState.commit >= maxAck - 1, `hard state commit ${replay.hardState.commit} < ${maxAck - 1}`);
      await wal.close();
    }
    console.log(`kill -9: 4 rounds, ${totalAcks} acknowledged saves, last index ${everAcked}, all present after recovery`);
  } finally {
    cleanup();
  }
});

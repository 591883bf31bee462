// Reading a member's /metrics in tests: the Prometheus text format as series → value.
import assert from 'node:assert/strict';

/** `name{labels}` → value, one entry per sample line. */
export type Samples = Map<string, number>;

/** Prometheus text format: `name{labels} value` per line, comments skipped. */
export function parsePrometheus(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^\s{]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

/** The member's /metrics text (its endpoint is http(s)://host:port). */
export async function scrapeText(endpoint: string): Promise<string> {
  const r = await fetch(`${endpoint}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  return r.text();
}

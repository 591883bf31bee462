// Latency summaries over the samples of one measured phase.

export interface LatencySummary {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentiles of the first `n` samples (sorted in place). */
export function summarize(samples: Float64Array, n: number): LatencySummary {
  if (n === 0) return { meanMs: NaN, p50Ms: NaN, p99Ms: NaN };
  const s = samples.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  const rank = (p: number) => s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  return { meanMs: sum / n, p50Ms: rank(50), p99Ms: rank(99) };
}

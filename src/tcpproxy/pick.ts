// Which endpoint a new connection goes to, as etcd's tcpproxy picks: among the active
// endpoints of the best (lowest) SRV priority, by weight when some have one, otherwise
// round robin over every endpoint in order. Pure: the caller supplies randomness.

export interface Endpoint {
  /** "host:port". */
  addr: string;
  priority: number;
  weight: number;
  active: boolean;
}

export interface PickState {
  /** Round-robin position, shared across picks. */
  count: number;
}

/** The chosen endpoint, or undefined when none is active. `random(n)` returns an integer in [0, n). */
export function pick(endpoints: readonly Endpoint[], state: PickState, random: (n: number) => number): Endpoint | undefined {
  let best = 65535;
  let weighted: Endpoint[] = [];
  let unweighted: Endpoint[] = [];
  let weightSum = 0;
  for (const e of endpoints) {
    if (!e.active || e.priority > best) continue;
    if (e.priority < best) {
      best = e.priority;
      weighted = [];
      unweighted = [];
      weightSum = 0;
    }
    if (e.weight > 0) {
      weighted.push(e);
      weightSum += e.weight;
    } else {
      unweighted.push(e);
    }
  }
  if (weighted.length > 0) {
    // Zero-weight records keep a small chance, as RFC 2782 asks.
    if (unweighted.length > 0 && random(100) === 1) return unweighted[state.count++ % unweighted.length];
    let choose = random(weightSum);
    for (const e of weighted) {
      choose -= e.weight;
      if (choose <= 0) return e;
    }
  }
  if (unweighted.length > 0) {
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[state.count++ % endpoints.length];
      if (e.active) return e;
    }
  }
  return undefined;
}

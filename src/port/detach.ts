// Values cross between threads by structured clone, which copies a byte array's
// whole backing buffer: a key that is a view into a 64 KiB slab would carry the
// slab. Before a value is posted, each view is replaced by an exact copy, and
// objects are rebuilt as plain ones (default values a decoded protobuf message
// keeps on its prototype must travel; methods must not). Objects shared by
// several responses (one event delivered to many watchers) are rebuilt once, so
// one batch carries them once.

export type Memo = WeakMap<object, unknown>;

export function detach<T>(v: T, memo: Memo): T {
  return detachValue(v, memo) as T;
}

function detachValue(v: unknown, memo: Memo): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) {
    return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : new Uint8Array(v);
  }
  const seen = memo.get(v);
  if (seen !== undefined) return seen;
  let out: unknown;
  if (Array.isArray(v)) {
    out = v.map((x) => detachValue(x, memo));
  } else if (v instanceof Set || v instanceof Map || v instanceof Date) {
    out = v;
  } else {
    // for...in, not Object.keys: a decoded protobuf message keeps its fields' default
    // values on its prototype, and they must travel too.
    const o: Record<string, unknown> = {};
    for (const k in v as Record<string, unknown>) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined && typeof x !== 'function') o[k] = detachValue(x, memo);
    }
    out = o;
  }
  memo.set(v, out);
  return out;
}

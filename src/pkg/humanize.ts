// Go's number formatting as etcd's logs and etcdctl print it: go-humanize's byte sizes
// and fmt's %.Nf rounding.

/** github.com/dustin/go-humanize Bytes: SI units, one decimal below 10. */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / Math.pow(1000, e)) * 10 + 0.5) / 10;
  return `${val < 10 ? goFixed(val, 1) : goFixed(val, 0)} ${sizes[e]}`;
}

/** Go's %.Nf: exact halves round to even (toFixed rounds them up). */
export function goFixed(v: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = v * scale;
  if (Number.isInteger(scaled * 2) && !Number.isInteger(scaled)) {
    const down = Math.floor(scaled);
    return ((down % 2 === 0 ? down : down + 1) / scale).toFixed(digits);
  }
  return v.toFixed(digits);
}

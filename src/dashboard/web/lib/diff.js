// A line diff (longest common subsequence) between two texts, for comparing two
// revisions of a value.

/**
 * @param {string} a older text @param {string} b newer text
 * @returns {Array<{ op: ' ' | '-' | '+', line: string }>}
 */
export function lineDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  // Common head and tail cost nothing; the table covers only the middle.
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xm = x.slice(head, x.length - tail);
  const ym = y.slice(head, y.length - tail);
  /** @type {Array<{ op: ' ' | '-' | '+', line: string }>} */
  const out = x.slice(0, head).map((line) => ({ op: ' ', line }));
  if (xm.length * ym.length > 4e6) {
    // Too large for the table: show the middle as replaced.
    for (const line of xm) out.push({ op: '-', line });
    for (const line of ym) out.push({ op: '+', line });
  } else {
    const n = xm.length;
    const m = ym.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = xm[i] === ym[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xm[i] === ym[j]) {
        out.push({ op: ' ', line: xm[i] });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        // Removed lines before the added ones that replace them.
        out.push({ op: '-', line: xm[i++] });
      } else {
        out.push({ op: '+', line: ym[j++] });
      }
    }
  }
  for (const line of x.slice(x.length - tail)) out.push({ op: ' ', line });
  return out;
}

// Go's text/tabwriter as etcdctl configures it (minwidth 0, tabwidth 8, padding 1,
// padded with tabs): tab-terminated cells align per block of consecutive lines.

const width = (s: string) => [...s].length;

export function tabwrite(text: string, tabwidth = 8, padding = 1): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      cells.forEach((cell, j) => {
        s += cell;
        if (j < widths.length) {
          const cellWidth = Math.ceil(widths[j]! / tabwidth) * tabwidth;
          s += '\t'.repeat(Math.ceil((cellWidth - width(cell)) / tabwidth));
        }
      });
      out.push(s);
    }
  };

  // A column block is a run of lines that all have a terminated cell in this column.
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let w = 0;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + padding);
      }
      widths.push(w);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}

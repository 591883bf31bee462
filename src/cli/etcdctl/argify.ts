// etcdctl's argify: splits a line into words, honouring "double" (Go-unquoted) and 'single' quotes.
export function argify(line: string): string[] {
  const re = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?/g;
  return (line.match(re) ?? []).map((a) => {
    if (a.startsWith("'")) return a.slice(1, -1);
    if (a.startsWith('"')) {
      try {
        return JSON.parse(a) as string;
      } catch {
        return a.slice(1, -1);
      }
    }
    return a;
  });
}

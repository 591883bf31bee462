// A request's pseudo-header fields, checked as grpc-go's framer checks them
// (x/net/http2 MetaHeadersFrame.checkPseudos): only the four request
// pseudo-headers, each at most once, all before the regular fields. Which
// ones are present is the application's business (grpc-go routes a request
// without :path as an unknown method).

const REQUEST_PSEUDO = new Set([':method', ':path', ':scheme', ':authority']);

export function checkRequestPseudo(fields: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.charCodeAt(0) !== 0x3a /* : */) {
      // Regular fields: no pseudo-header may follow.
      for (let j = i + 2; j < fields.length; j += 2) if (fields[j]!.charCodeAt(0) === 0x3a) return false;
      return true;
    }
    if (!REQUEST_PSEUDO.has(name)) return false;
    const bit = name === ':method' ? 1 : name === ':path' ? 2 : name === ':scheme' ? 4 : 8;
    if (seen & bit) return false;
    seen |= bit;
  }
  return true;
}

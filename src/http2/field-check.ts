// Which header fields a request may carry, checked as grpc-go's framer
// (golang.org/x/net/http2) checks them: names are lower-case tokens, values hold
// no control characters but tab. Pseudo-header names (":path") are checked by
// the request's own rules, not here. Note what is allowed: a '/' in :authority,
// which etcdctl sends ("http://127.0.0.1:2379") and grpc-go accepts.

const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") TOKEN[c.charCodeAt(0)] = 1;

export function validName(name: string): boolean {
  if (name.length === 0) return false;
  if (name.charCodeAt(0) === 0x3a /* : */) return true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

export function validValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

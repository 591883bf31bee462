// The dashboard's page and its scripts and styles, served as they are in the
// package (no build step): read once, sent with an ETag, and with a content
// security policy that lets the page run only its own scripts.
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../grpc/index.js';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

type Req = HttpRequest;
type Res = HttpResponse;

/** The page's folder, src/dashboard/web, from this file's place under dist/ or src/. */
export const WEB_ROOT = fileURLToPath(new URL('../../../src/dashboard/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Scripts and styles only from the member itself; data from it and, for the
// cluster view, from the other members' client URLs (http or https).
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' http: https:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

interface File {
  body: Buffer;
  type: string;
  etag: string;
}

/** Names the page is made of: lower-case path segments, no dot files, no "..". */
const SAFE_NAME = /^(?:[a-z0-9][a-z0-9_-]*\/)*[a-z0-9][a-z0-9_.-]*$/;

export function staticFiles(root: string = WEB_ROOT): (req: Req, res: Res, name: string) => void {
  // Only files found are kept: names asked for in vain cost a lookup each, not memory.
  const cache = new Map<string, File>();
  const load = (name: string): File | null => {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    let file: File | null = null;
    const type = TYPES[extname(name)];
    const path = normalize(join(root, name));
    if (type !== undefined && SAFE_NAME.test(name) && !name.includes('..') && path.startsWith(root.endsWith(sep) ? root : root + sep)) {
      try {
        if (statSync(path).isFile()) {
          const body = readFileSync(path);
          file = { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
        }
      } catch {
        file = null;
      }
    }
    if (file !== null) cache.set(name, file);
    return file;
  };
  return (req, res, name) => {
    const file = load(name);
    const r = res as ServerResponse;
    if (file === null) {
      r.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    const headers = { ...SECURITY_HEADERS, 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      r.writeHead(304, headers);
      res.end();
      return;
    }
    r.writeHead(200, { ...headers, 'Content-Length': file.body.length });
    if (req.method === 'HEAD') res.end();
    else res.end(file.body);
  };
}

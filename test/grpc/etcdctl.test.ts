// Interop with a grpc-go client: the real etcdctl (3.4) against a stand-in KV
// service on our transport. Skipped where etcdctl is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as PB from 'protobufjs';
import { Errors } from '../../src/rpctypes/errors.js';
import { GrpcServer } from '../../src/grpc/server.js';

const ETCDCTL = '/usr/bin/etcdctl';
const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

function types() {
  const root = new protobuf.Root();
  root.resolvePath = (_o: string, target: string) => join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'proto', target);
  root.loadSync('etcdserverpb/rpc.proto');
  const t = (n: string) => root.lookupType(`etcdserverpb.${n}`);
  return { RangeRequest: t('RangeRequest'), RangeResponse: t('RangeResponse'), PutRequest: t('PutRequest'), PutResponse: t('PutResponse') };
}

function etcdctl(port: number, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      ETCDCTL,
      [`--endpoints=127.0.0.1:${port}`, '--dial-timeout=3s', '--command-timeout=3s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 },
      (err, out, errOut) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    );
  });
}

test('etcdctl get/put through the gRPC layer, errors verbatim', { skip: !existsSync(ETCDCTL) && 'etcdctl not installed' }, async () => {
  const T = types();
  let lastTimeout: string | undefined;
  const server = new GrpcServer({ maxRecvMessageBytes: 1536 * 1024 });
  server.addService('etcdserverpb.KV', {
    Range: {
      kind: 'unary',
      decode: (b: Uint8Array) => T.RangeRequest.decode(b) as unknown as { key: Uint8Array },
      encode: (m: object) => T.RangeResponse.encode(m).finish(),
      handler: (req: { key: Uint8Array }, call) => {
        lastTimeout = call.metadata['grpc-timeout'] as string | undefined;
        return {
          header: { clusterId: 1, memberId: 2, revision: 7, raftTerm: 1 },
          kvs: [{ key: req.key, value: Buffer.from('bar'), createRevision: 5, modRevision: 7, version: 2 }],
          count: 1,
        };
      },
    },
    Put: {
      kind: 'unary',
      decode: (b: Uint8Array) => T.PutRequest.decode(b),
      encode: (m: object) => T.PutResponse.encode(m).finish(),
      handler: () => {
        throw Errors.NoSpace;
      },
    },
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    const get = await etcdctl(port, 'get', 'foo');
    assert.equal(get.code, 0, get.err);
    assert.equal(get.out, 'foo\nbar\n');
    assert.ok(lastTimeout, 'etcdctl sends grpc-timeout');
    const json = await etcdctl(port, 'get', 'foo', '-w', 'json');
    assert.equal(JSON.parse(json.out).header.revision, 7);
    const put = await etcdctl(port, 'put', 'foo', 'x');
    assert.notEqual(put.code, 0);
    assert.match(put.err, /etcdserver: mvcc: database space exceeded/);
    const status = await etcdctl(port, 'endpoint', 'status');
    assert.notEqual(status.code, 0);
    assert.match(status.err, /unknown service etcdserverpb.Maintenance/);
  } finally {
    await server.close();
  }
});

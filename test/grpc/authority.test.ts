// etcdctl's per-endpoint calls send the endpoint URL as :authority ("http://host:port");
// the server must answer them instead of resetting the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { startServer } from './helpers.js';
import { frameMessage } from '../../src/grpc/frame.js';

function call(port: number, authority: string, times: number): Promise<string[]> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const one = () =>
    new Promise<string>((resolve, reject) => {
      const req = session.request({
        ':method': 'POST',
        ':path': '/test.Svc/Echo',
        ':authority': authority,
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const chunks: Buffer[] = [];
      let status = '';
      req.on('trailers', (t) => (status = String(t['grpc-status'])));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', reject);
      req.on('close', () => {
        if (req.rstCode) return reject(new Error(`stream reset ${req.rstCode}`));
        const body = Buffer.concat(chunks);
        resolve(`${status}:${body.subarray(5).toString()}`);
      });
      req.end(frameMessage(Buffer.from('hi')));
    });
  return (async () => {
    const out: string[] = [];
    for (let i = 0; i < times; i++) out.push(await one());
    session.close();
    return out;
  })();
}

test('an endpoint URL as :authority is answered, on the first and later requests', async () => {
  const { server, port } = await startServer();
  try {
    assert.deepEqual(await call(port, `http://127.0.0.1:${port}`, 3), ['0:echo:hi', '0:echo:hi', '0:echo:hi']);
    assert.deepEqual(await call(port, `127.0.0.1:${port}`, 2), ['0:echo:hi', '0:echo:hi']);
  } finally {
    await server.close();
  }
});

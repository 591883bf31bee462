// `npm run cluster`: a 3-member etcd-ts cluster on loopback for development, as etcd's
// Procfile runs one: clients on 2379/22379/32379, peers on 2380/22380/32380, data
// under ./cluster.etcd-ts/ (kept between runs; remove it for a fresh cluster).
// Ctrl-C stops every member cleanly; a member that dies is reported, not restarted.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const entry = join(root, 'dist', 'src', 'cli', 'etcd.js');
const dataRoot = join(process.cwd(), 'cluster.etcd-ts');
const members = [
  { name: 'infra1', client: 2379, peer: 2380 },
  { name: 'infra2', client: 22379, peer: 22380 },
  { name: 'infra3', client: 32379, peer: 32380 },
];
const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');

const children = members.map((m) => {
  const args = [
    entry,
    '--name', m.name,
    '--data-dir', join(dataRoot, `${m.name}.etcd`),
    '--listen-client-urls', `http://127.0.0.1:${m.client}`,
    '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
    '--listen-peer-urls', `http://127.0.0.1:${m.peer}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
    '--initial-cluster-token', 'etcd-cluster-1',
    '--initial-cluster', initialCluster,
    '--initial-cluster-state', 'new',
    ...process.argv.slice(2),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `${m.name.padEnd(7)}| `;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited (${signal ?? code})\n`);
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(0);
  });
  return child;
});

process.stdout.write(`etcd-ts cluster: --endpoints=${members.map((m) => `127.0.0.1:${m.client}`).join(',')}\n`);

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // A member that ignores SIGTERM for 10 s is killed.
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(1);
  }, 10_000).unref();
  void signal;
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

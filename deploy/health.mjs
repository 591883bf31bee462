#!/usr/bin/env node
// Asks a member's /health whether it has a leader and serves linearizable reads,
// as `curl -fs URL/health` would, without needing curl in a slim image.
//
//   node health.mjs [client-url] [--wait SECONDS]
//
// client-url defaults to the first of ETCD_ADVERTISE_CLIENT_URLS, then
// http://127.0.0.1:2379. With --wait the check repeats every second until the
// member is healthy or the time is up (systemd's ExecStartPost); without it, one
// try (a container healthcheck). Exit status 0 means healthy.
const args = process.argv.slice(2);
let waitSeconds = 0;
let url;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--wait') waitSeconds = Number(args[++i]);
  else url = args[i];
}
if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
  console.error('health: --wait takes a number of seconds');
  process.exit(2);
}
url ??= (process.env.ETCD_ADVERTISE_CLIENT_URLS ?? '').split(',')[0].trim() || 'http://127.0.0.1:2379';
const target = new URL('/health', url);

async function healthy() {
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(3000) });
    const body = await res.json();
    return res.ok && (body.health === 'true' || body.health === true);
  } catch {
    return false;
  }
}

const deadline = Date.now() + waitSeconds * 1000;
for (;;) {
  if (await healthy()) process.exit(0);
  if (Date.now() >= deadline) break;
  await new Promise((r) => setTimeout(r, 1000));
}
console.error(`health: ${target.href} is not healthy${waitSeconds > 0 ? ` after ${waitSeconds} s` : ''}`);
process.exit(1);

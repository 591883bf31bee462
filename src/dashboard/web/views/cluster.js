// Cluster: every member with its URLs, role, Raft state, database size and
// health (as its own /health and /readyz answer), the cluster's revision and
// compaction point, quota and alarms. Polled every two seconds; each member is
// asked directly at its client URL, so a stopped member shows as unreachable.
import { h, fill, errorBox, formatBytes, hexId, confirmDialog } from '../lib/dom.js';
import { gw, post, getText } from '../lib/api.js';
import { latestSamples } from './metrics.js';
import { sum } from '../lib/prom.js';
import { app } from '../app.js';

const POLL_MS = 2000;

/** The same-origin base for this member, the client URL for the others. @param {any} m @param {string} self */
function baseOf(m, self) {
  if (m.ID === self) return '';
  return (m.clientURLs ?? [])[0] ?? null;
}

async function memberState(m, self) {
  const base = baseOf(m, self);
  if (base === null) return { reachable: false, why: 'no client URL' };
  const [status, health, ready, version] = await Promise.allSettled([
    // With auth on, etcd 3.6 answers Status only to a user: the page's token goes along
    // (tokens are issued through the log, so every member of the cluster knows it).
    post('/v3/maintenance/status', {}, { base, signal: AbortSignal.timeout(1500) }),
    getText(`${base}/health`, 1500),
    getText(`${base}/readyz`, 1500),
    getText(`${base}/version`, 1500),
  ]);
  if (status.status === 'rejected') return { reachable: false, why: String(status.reason?.message ?? status.reason) };
  let healthText = 'unknown';
  if (health.status === 'fulfilled') {
    try {
      healthText = JSON.parse(health.value.text).health === 'true' ? 'healthy' : 'unhealthy';
    } catch {
      healthText = `HTTP ${health.value.status}`;
    }
  }
  let versions = {};
  if (version.status === 'fulfilled') {
    try {
      versions = JSON.parse(version.value.text);
    } catch {
      versions = {};
    }
  }
  return {
    reachable: true,
    status: status.value,
    health: healthText,
    ready: ready.status === 'fulfilled' ? (ready.value.status === 200 ? 'ready' : 'not ready') : 'unknown',
    versions,
  };
}

const ALARMS = { NOSPACE: 'database space exceeded', CORRUPT: 'data corruption detected' };

/** @param {HTMLElement} root */
export function mount(root) {
  const body = h('div');
  fill(root, h('h2', null, 'Cluster'), body);
  let stopped = false;
  let timer;
  const tick = async () => {
    try {
      fill(body, ...(await render()));
    } catch (err) {
      fill(body, errorBox(err));
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function render() {
  const own = await gw('/v3/maintenance/status', {});
  const self = own.header.member_id;
  const [list, alarms] = await Promise.all([gw('/v3/cluster/member/list', {}), gw('/v3/maintenance/alarm', {}).catch(() => ({ alarms: [] }))]);
  const members = list.members ?? [];
  const states = await Promise.all(members.map((m) => memberState(m, self)));
  const byId = new Map(members.map((m) => [m.ID, m]));
  const leaderId = [own, ...states.filter((s) => s.reachable).map((s) => s.status)].map((s) => s.leader).find((l) => l && l !== '0');
  const leader = leaderId ? byId.get(leaderId) : undefined;
  const metrics = latestSamples();
  const compact = metrics ? sum(metrics, 'etcd_debugging_mvcc_compact_revision') : NaN;
  const quota = metrics ? sum(metrics, 'etcd_server_quota_backend_bytes') : NaN;
  const dbSize = Number(own.dbSize ?? 0);
  const inUse = Number(own.dbSizeInUse ?? 0);
  const stat = (label, value, attrs = {}) => h('div.stat', attrs, h('span.label', null, label), h('span.value', null, value));
  const summary = h('div.stats',
    null,
    stat('Leader', leader ? leader.name || hexId(leader.ID) : 'none', { 'data-stat': 'leader' }),
    stat('Raft term', own.raftTerm ?? '0'),
    stat('Raft index', own.raftIndex ?? '0'),
    stat('Applied index', own.raftAppliedIndex ?? '0'),
    stat('Revision', own.header.revision ?? '0', { 'data-stat': 'revision' }),
    stat('Compact revision', Number.isFinite(compact) ? (compact < 0 ? 'none' : String(compact)) : '…'),
    stat('DB size', formatBytes(dbSize)),
    stat('DB in use', formatBytes(inUse)),
    stat('Quota', Number.isFinite(quota) ? formatBytes(quota) : '…'),
    stat('Quota used', Number.isFinite(quota) ? `${((dbSize / quota) * 100).toFixed(1)}%` : '…'),
    stat('Server version', own.version ?? ''),
  );
  const rows = members.map((m, i) => {
    const s = states[i];
    const isLeader = m.ID === leaderId;
    const st = s.reachable ? s.status : undefined;
    return h('tr', { 'data-member': m.name || hexId(m.ID), class: s.reachable ? undefined : 'down' },
      h('td', null, m.name || h('span.muted', null, '(not started)'), m.ID === self ? h('span.tag', null, 'this member') : null),
      h('td.mono', null, hexId(m.ID)),
      h('td', null, isLeader ? h('span.tag.leader', null, 'leader') : m.isLearner ? h('span.tag', null, 'learner') : s.reachable ? 'follower' : '–'),
      h('td.mono', null, (m.peerURLs ?? []).join('\n')),
      h('td.mono', null, (m.clientURLs ?? []).join('\n')),
      h('td', null, st?.raftTerm ?? '–'),
      h('td', null, st ? `${st.raftIndex ?? 0} / ${st.raftAppliedIndex ?? 0}` : '–'),
      h('td', null, st ? formatBytes(Number(st.dbSize ?? 0)) : '–'),
      h('td', null, s.reachable ? `${s.versions.etcdserver ?? st.version} / ${s.versions.etcdcluster ?? '?'}` : '–'),
      h('td', { 'data-health': s.reachable ? s.health : 'unreachable' }, s.reachable ? h('span', { class: s.health === 'healthy' ? 'ok' : 'bad' }, s.health) : h('span.bad', { title: s.why }, 'unreachable')),
      h('td', null, s.reachable ? h('span', { class: s.ready === 'ready' ? 'ok' : 'bad' }, s.ready) : '–'),
    );
  });
  const table = h('table.grid.members', null,
    h('thead', null, h('tr', null, ...['Name', 'ID', 'Role', 'Peer URLs', 'Client URLs', 'Term', 'Index / applied', 'DB size', 'Versions (server / cluster)', '/health', '/readyz'].map((c) => h('th', null, c)))),
    h('tbody', null, rows));
  const alarmList = alarms.alarms ?? [];
  const alarmBox = h('div.alarms', null,
    h('h3', null, 'Alarms'),
    alarmList.length === 0
      ? h('p.muted', null, 'No alarm is raised.')
      : h('table.grid', null, h('tbody', null, alarmList.map((a) => h('tr', null,
          h('td', null, a.alarm), h('td', null, ALARMS[a.alarm] ?? ''), h('td.mono', null, byId.get(a.memberID)?.name || hexId(a.memberID)),
          h('td', null, app.admin ? h('button.danger', { type: 'button', onclick: () => disarm(a) }, 'Disarm') : h('span.muted', null, 'root may disarm')))))));
  return [summary, table, alarmBox];
}

async function disarm(a) {
  if (!(await confirmDialog('Disarm alarm', `Disarm ${a.alarm} on member ${hexId(a.memberID)}? Writes resume if the cause is gone.`, 'Disarm'))) return;
  await gw('/v3/maintenance/alarm', { action: 'DEACTIVATE', memberID: a.memberID, alarm: a.alarm });
}

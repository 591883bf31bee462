// The dashboard on a 3-member cluster with TLS on client and peer URLs and auth
// on, in headless Chromium trusting only the test's server certificate: the page
// served by a follower shows every member healthy and the leader; a key written
// through another member shows decoded; when the leader is stopped, the cluster
// view shows the new leader and the old one unreachable.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, type Cluster, type ClusterMember } from '../helpers/cluster.js';
import { makePki, type Pki } from '../auth/certs.js';
import { tmpDir, type TmpDir } from '../helpers/tmp.js';
import { envelope } from '../helpers/k8s.js';
import { browserSkip, launchBrowser, type Browser } from '../helpers/browser.js';
import { b64, enableAuth, ok, put, token } from './gateway-calls.js';
import { login, waitText } from './page.js';

const skip = browserSkip();
let dir: TmpDir;
let pki: Pki;
let c: Cluster;
let browser: Browser;
let rootToken: string;

/** With auth on, Status answers only a user (etcd 3.6). */
async function leader(): Promise<ClusterMember> {
  for (const m of c.members.filter((x) => x.running)) {
    const st = await ok(m.endpoint, '/v3/maintenance/status', {}, { ca: pki.ca, token: rootToken }).catch(() => undefined);
    if (st && st.leader && st.leader === st.header.member_id) return m;
  }
  throw new Error('no leader');
}

before(async () => {
  if (skip) return;
  dir = tmpDir('dashboard-tls');
  pki = makePki(dir.path);
  c = await startCluster(3, {
    peerScheme: 'https',
    clientScheme: 'https',
    clientCa: pki.ca,
    extraArgs: [
      '--enable-dashboard',
      '--cert-file', pki.server.cert, '--key-file', pki.server.key,
      '--peer-cert-file', pki.peer.cert, '--peer-key-file', pki.peer.key, '--peer-trusted-ca-file', pki.ca, '--peer-client-cert-auth',
    ],
  });
  await enableAuth(c.members[0]!.endpoint, pki.ca);
  rootToken = await token(c.members[0]!.endpoint, 'root', 'rootpw', pki.ca);
  browser = await launchBrowser({ trustCerts: [pki.server.cert] });
});
after(async () => {
  await browser?.close();
  await c?.close();
  dir?.cleanup();
});

test('3 members, TLS and auth: a follower\'s dashboard shows the cluster and follows a leader change', { skip, timeout: 120_000 }, async () => {
  await browser.onFailure('cluster-tls', async () => {
    const page = browser.page;
    const old = await leader();
    const follower = c.members.find((m) => m !== old)!;
    const other = c.members.find((m) => m !== old && m !== follower)!;
    await put(other.endpoint, '/registry/configmaps/default/app', envelope('v1', 'ConfigMap', 'ConfigMap', { metadata: { name: 'app', namespace: 'default' }, data: { mode: 'tls' } }), { token: rootToken, ca: pki.ca });

    await page.goto(`${follower.endpoint}/dashboard/`);
    await login(page, 'root', 'rootpw');
    await waitText(page, '[data-stat=leader] .value', new RegExp(`^${old.name}$`));
    for (const m of c.members) await waitText(page, `tr[data-member=${m.name}] [data-health]`, /^healthy$/);
    await browser.screenshot('cluster-3-members-tls');

    await page.goto(`${follower.endpoint}/dashboard/#/keys?p=${encodeURIComponent(b64('/registry/configmaps/default/'))}&k=${encodeURIComponent(b64('/registry/configmaps/default/app'))}`);
    const cm = await waitText(page, 'pre.value[data-form=k8s]', /kind: ConfigMap/);
    assert.match(cm, /mode: tls/);

    await old.stop();
    await page.locator('a[data-view=cluster]').click();
    const now = await waitText(page, '[data-stat=leader] .value', new RegExp(`^(?!${old.name}$)m\\d$`));
    assert.equal(now, (await leader()).name);
    await waitText(page, `tr[data-member=${old.name}] [data-health]`, /^unreachable$/);
    await waitText(page, `tr[data-member=${now}] td:nth-child(3)`, /leader/);
    await browser.screenshot('cluster-new-leader');
  });
});

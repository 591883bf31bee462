#!/usr/bin/env node
// The etcd-ts server binary: etcd's flags, ETCD_* variables and config file in,
// one member out. Exits non-zero with etcd's message on bad configuration.
import { availableParallelism } from 'node:os';
import { defaultConfig, defaultEdgeThreads, featureEnabled, parseConfig, watchProgressNotifyIntervalMs } from '../config/index.js';
import { EtcdRelease } from '../version/index.js';
import type { EtcdConfig } from '../config/types.js';
import { startMember, type MemberOptions } from '../embed/member.js';
import { runGateway } from './gateway.js';
import { createLogger, type LogLevel } from '../pkg/logger.js';
import { DEFAULT_QUOTA_BACKEND_BYTES } from '../server/options.js';

/** A list flag given as '' (etcd's StringsValue of "") holds one empty string: no names. */
function nonEmpty(xs: readonly string[]): string[] | undefined {
  const kept = xs.filter((x) => x !== '');
  return kept.length > 0 ? kept : undefined;
}

function memberOptions(c: EtcdConfig, autoCompactionRetention: number, warningUnaryRequestMs: number): MemberOptions {
  return {
    warningUnaryRequestMs,
    name: c.name,
    dataDir: c.dataDir,
    walDir: c.walDir || undefined,
    enableGrpcGateway: c.enableGrpcGateway,
    enableDashboard: c.enableDashboard,
    featureGates: c.featureGates,
    initialCluster: [...c.initialCluster.entries()].map(([name, urls]) => ({ name, peerUrls: urls.map((u) => u.href.replace(/\/$/, '')) })),
    initialClusterToken: c.initialClusterToken,
    initialClusterState: c.initialClusterState,
    heartbeatMs: c.heartbeatIntervalMs,
    electionTimeoutMs: c.electionTimeoutMs,
    snapshotCount: c.snapshotCount,
    quotaBackendBytes: c.quotaBackendBytes > 0 ? c.quotaBackendBytes : DEFAULT_QUOTA_BACKEND_BYTES,
    maxRequestBytes: c.maxRequestBytes,
    maxTxnOps: c.maxTxnOps,
    backendBatchIntervalMs: c.backendBatchIntervalMs > 0 ? c.backendBatchIntervalMs : 100,
    backendBatchLimit: c.backendBatchLimit > 0 ? c.backendBatchLimit : 10000,
    listenClientUrls: c.listenClientUrls,
    listenClientHttpUrls: c.listenClientHttpUrls,
    listenPeerUrls: c.listenPeerUrls,
    advertisePeerUrls: c.initialAdvertisePeerUrls.map((u) => u.href.replace(/\/$/, '')),
    strictReconfigCheck: c.strictReconfigCheck,
    initialCorruptCheck: featureEnabled(c.featureGates, 'InitialCorruptCheck'),
    corruptCheckTimeMs: c.corruptCheckTimeMs,
    maxLearners: c.maxLearners,
    snapshotCatchupEntries: c.snapshotCatchupEntries,
    warningApplyDurationMs: c.warningApplyDurationMs,
    bootstrapDefragThresholdMegabytes: c.bootstrapDefragThresholdMegabytes,
    compactHashCheckTimeMs: featureEnabled(c.featureGates, 'CompactHashCheck') ? c.compactHashCheckTimeMs : undefined,
    downgradeCheckTimeMs: c.downgradeCheckTimeMs > 0 ? c.downgradeCheckTimeMs : undefined,
    autoCompactionMode: c.autoCompactionMode,
    autoCompactionRetention,
    advertiseClientUrls: c.advertiseClientUrls,
    maxConcurrentStreams: c.maxConcurrentStreams > 0 ? c.maxConcurrentStreams : undefined,
    edgeThreads: c.edgeThreads >= 0 ? c.edgeThreads : defaultEdgeThreads(availableParallelism()),
    grpcKeepaliveMinTimeMs: c.grpcKeepaliveMinTimeMs,
    bcryptCost: c.bcryptCost > 0 ? c.bcryptCost : undefined,
    authTokenTtlSeconds: c.authTokenTtl > 0 ? c.authTokenTtl : undefined,
    authToken: c.authToken || undefined,
    clientCertAuth: c.clientCertAuth,
    release: emulated(c.emulatedEtcdVersion),
    watchProgressNotifyIntervalMs: watchProgressNotifyIntervalMs(c, defaultConfig()),
    peerTls: {
      certFile: c.peerCertFile || undefined,
      keyFile: c.peerKeyFile || undefined,
      trustedCaFile: c.peerTrustedCaFile || undefined,
      clientCertAuth: c.peerClientCertAuth,
      autoTls: c.peerAutoTls,
      crlFile: c.peerCrlFile || undefined,
      allowedCns: nonEmpty(c.peerCertAllowedCn),
      allowedHostnames: nonEmpty(c.peerCertAllowedHostname),
      cipherSuites: c.cipherSuites,
      minVersion: c.tlsMinVersion,
      maxVersion: c.tlsMaxVersion,
      selfSignedCertValidity: c.selfSignedCertValidity,
    },
    clientTls: {
      certFile: c.certFile,
      keyFile: c.keyFile,
      trustedCaFile: c.trustedCaFile,
      clientCertAuth: c.clientCertAuth,
      autoTls: c.autoTls,
      crlFile: c.clientCrlFile || undefined,
      cipherSuites: c.cipherSuites,
      allowedHostnames: nonEmpty(c.clientCertAllowedHostname),
      minVersion: c.tlsMinVersion,
      maxVersion: c.tlsMaxVersion,
      selfSignedCertValidity: c.selfSignedCertValidity,
    },
  };
}

/** Validation accepted the version already: only supported releases reach here. */
function emulated(version: string): EtcdRelease {
  if (version === '') return EtcdRelease.default();
  const r = EtcdRelease.emulate(version);
  if ('error' in r) throw new Error(r.error);
  return r;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'gateway') {
    const out = await runGateway(process.argv.slice(3));
    if (out === undefined) process.exit(0);
    if (out.stdout) process.stdout.write(out.stdout);
    if (out.stderr) process.stderr.write(out.stderr);
    process.exit(out.exit);
  }
  const parsed = parseConfig(process.argv.slice(2), process.env);
  if ('exit' in parsed) {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    process.exit(parsed.exit);
  }
  const { config, warnings, notYetAvailable, autoCompactionRetention, warningUnaryRequestMs } = parsed;
  const logger = createLogger({ level: (config.logLevel as LogLevel) || 'info', outputs: config.logOutputs, format: config.logFormat === 'console' ? 'console' : 'json' });
  for (const w of warnings) logger.warn(w);
  for (const f of notYetAvailable) logger.warn('flag is accepted but not available yet in etcd-ts', { flag: f });

  let member: Awaited<ReturnType<typeof startMember>>;
  try {
    member = await startMember(memberOptions(config, autoCompactionRetention, warningUnaryRequestMs), logger);
  } catch (err) {
    logger.error('failed to start etcd-ts', { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('received signal; shutting down', { signal });
    member.close().then(
      // A signal that lands while a storage failure stops the member does not hide it.
      () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0),
      (err) => {
        logger.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  // A member removed from the cluster stops itself; like etcd, the process then exits.
  // One that stopped after a storage failure has set exit code 1.
  void member.server.stopped.then(() => {
    if (!stopping) process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
}

void main();

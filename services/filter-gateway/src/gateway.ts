import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerMemoryMetrics } from './observability/memory-metrics.js';
import type { GatewayConfig } from './config.js';
import { RuleSet } from './dns/rules/rule-set.js';
import { createLogger } from './logger.js';
import { startObservabilityServer } from './observability/http-server.js';
import { registerSyncMetrics } from './observability/sync-metrics.js';
import { startRpzPrimary, type RpzPrimary } from './rpz-xfr/rpz-primary.js';
import { startServices } from './services.js';
import { FeedClient } from './sync/feed-client.js';
import { startHeartbeats } from './sync/heartbeat-sender.js';
import { snapshotPath } from './sync/snapshot-file.js';
import { SyncEngine } from './sync/sync-engine.js';

export interface Gateway {
  dnsPort: number;
  /** How DNS over UDP is served: the batching addon or dgram. */
  udpMode: 'batched' | 'dgram';
  dohPort: number;
  /** DNS over TLS (RFC 7858). */
  dotPort: number;
  /** SHA-256 fingerprint of the certificate DoT and DoH present. */
  tlsFingerprint: string;
  metricsPort: number;
  /** The RPZ zone-transfer primary (undefined when RPZ_XFR_PORT=off). */
  rpz: RpzPrimary | undefined;
  rules: RuleSet;
  sync: SyncEngine;
  registry: Registry;
  ready(): boolean;
  resolveAddresses(name: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * The whole gateway in this process (one worker): what tests start with port 0, and what
 * main.ts runs when GATEWAY_WORKERS=1. Sync feeds the RuleSet directly here; under cluster
 * the primary does the same over IPC (cluster/primary.ts).
 */
export async function createGateway(cfg: GatewayConfig, opts: { logger?: Logger } = {}): Promise<Gateway> {
  const log = opts.logger ?? createLogger(cfg.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerMemoryMetrics(registry);
  const rules = new RuleSet();
  const services = await startServices(cfg, rules, registry, log);
  const feed = new FeedClient(cfg.registerUrl, cfg.ispToken);
  const sync = new SyncEngine(
    { snapshotFile: snapshotPath(cfg.dataDir), waitSeconds: cfg.syncWaitSeconds, maxBackoffMs: cfg.syncMaxBackoffMs },
    feed,
    {
      reload: (version, all) => rules.replace(all.values(), version),
      changes: (changes, to) => rules.apply(changes, to),
    },
    log.child({ component: 'sync' }),
  );
  registerSyncMetrics(registry, sync);
  let rpz: RpzPrimary | undefined;
  try {
    rpz = await startRpzPrimary(cfg.rpzXfr, cfg.host, sync, registry, log.child({ component: 'rpz-xfr' }));
  } catch (err) {
    await Promise.allSettled([services.close(), feed.close()]);
    throw err;
  }
  await sync.start();
  const heartbeats = startHeartbeats(cfg, {
    version: () => sync.version,
    rules: () => sync.rules.size,
    metrics: () => registry.metrics(),
  }, log.child({ component: 'heartbeat' }));
  const ready = (): boolean => rules.loaded;
  const obs = await startObservabilityServer(cfg.host, cfg.metricsPort, {
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    ready,
    status: () => ({
      version: rules.version, rules: rules.matcher.ruleCount, sync: sync.state,
      ...(rpz ? { rpz: rpz.status() } : {}),
      ...(sync.snapshotWriteError === undefined ? {} : { snapshotFile: `write failing: ${sync.snapshotWriteError}` }),
    }),
  }, log);
  log.info({
    dns: services.dns.udpPort, udp: services.dns.udpMode, dot: services.dns.dotPort, doh: services.dns.dohPort,
    dohTls: services.dns.dohTls, tlsSha256: services.dns.tls.fingerprint256, metrics: obs.port,
  }, 'gateway listening');
  return {
    dnsPort: services.dns.udpPort,
    udpMode: services.dns.udpMode,
    dohPort: services.dns.dohPort,
    dotPort: services.dns.dotPort,
    tlsFingerprint: services.dns.tls.fingerprint256,
    metricsPort: obs.port,
    rpz,
    rules,
    sync,
    registry,
    ready,
    resolveAddresses: (name) => services.dns.resolveAddresses(name),
    async close() {
      // Side by side: listeners drain while sync ends its long-poll and writes the snapshot
      // (whole, by rename) with what it has.
      await Promise.all([sync.stop(), heartbeats?.stop(), services.close()]);
      await Promise.all([obs.close(), feed.close(), rpz?.close()]);
    },
  };
}

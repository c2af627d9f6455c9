import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { FeedRule } from '@tizilim/shared';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import { tlsFiles } from '../dns-listeners.js';
import { startObservabilityServer } from '../observability/http-server.js';
import { startRpzPrimary } from '../rpz-xfr/rpz-primary.js';
import { registerSyncMetrics } from '../observability/sync-metrics.js';
import { FeedClient } from '../sync/feed-client.js';
import { startHeartbeats } from '../sync/heartbeat-sender.js';
import { snapshotPath } from '../sync/snapshot-file.js';
import { SyncEngine } from '../sync/sync-engine.js';
import { DRAIN_GRACE_MS } from '../util/listen.js';
import { GATEWAY_NODE_FLAGS } from '../node-flags.js';
import { isTzMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/** A worker still running this long after being told to drain is killed: the stop stays within 3 s. */
const WORKER_STOP_MS = DRAIN_GRACE_MS + 700;

export interface Primary {
  metricsPort: number;
  close(): Promise<void>;
}

/**
 * The cluster primary: owns sync and the snapshot file, forks the DNS workers (which share
 * its UDP and TCP handles), serves /metrics aggregated over the workers, and restarts a
 * worker that dies.
 */
export async function startPrimary(cfg: GatewayConfig, log: Logger): Promise<Primary> {
  const file = snapshotPath(cfg.dataDir);
  const readyWorkers = new Set<number>();
  let closing = false;
  // The certificate is settled here, before any worker starts: workers must not race to make
  // the self-signed pair, and all of them must present the same one.
  const tls = await tlsFiles(cfg);
  // Workers answer the queries, so they are the processes whose young generation matters.
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...GATEWAY_NODE_FLAGS.filter((f) => !process.execArgv.includes(f))] });
  const fork = (): Worker => cluster.fork({ GATEWAY_TLS_CERT: tls.certFile, GATEWAY_TLS_KEY: tls.keyFile });

  const sendTo = (w: Worker, m: PrimaryToWorker): void => {
    if (w.isConnected()) w.send(m);
  };
  const broadcast = (m: PrimaryToWorker): void => {
    for (const w of Object.values(cluster.workers ?? {})) if (w) sendTo(w, m);
  };

  /** Workers read a whole set from the file; when its write failed, the set goes over IPC instead. */
  const wholeSet = (version: number, rules: ReadonlyMap<string, FeedRule>): PrimaryToWorker =>
    sync.fileVersion === version ? { type: 'tz:reload', file } : { type: 'tz:replace', rules: [...rules.values()], version };

  const feed = new FeedClient(cfg.registerUrl, cfg.ispToken);
  const sync = new SyncEngine(
    { snapshotFile: file, waitSeconds: cfg.syncWaitSeconds, maxBackoffMs: cfg.syncMaxBackoffMs },
    feed,
    {
      reload: (version, rules) => broadcast(wholeSet(version, rules)),
      changes: (changes, to) => broadcast({ type: 'tz:changes', changes: [...changes], to }),
    },
    log.child({ component: 'sync' }),
  );

  cluster.on('message', (w: Worker, m: unknown) => {
    if (!isTzMessage(m)) return;
    const msg = m as WorkerToPrimary;
    if (msg.type === 'tz:hello' && sync.version >= 0 && sync.fileVersion >= 0 && sync.snapshotWriteError === undefined) {
      // A worker that starts late catches up from the file plus what came after it.
      sendTo(w, { type: 'tz:reload', file });
      if (sync.changesSinceFile.length > 0) sendTo(w, { type: 'tz:changes', changes: sync.changesSinceFile, to: sync.version });
    } else if (msg.type === 'tz:hello' && sync.version >= 0) {
      // The file is behind and cannot be written (disk full): the set itself, over IPC.
      sendTo(w, { type: 'tz:replace', rules: [...sync.rules.values()], version: sync.version });
    } else if (msg.type === 'tz:ready') {
      readyWorkers.add(w.id);
    }
  });
  cluster.on('exit', (w, code, signal) => {
    readyWorkers.delete(w.id);
    if (closing) return;
    log.error({ worker: w.id, code, signal }, 'worker died; starting another');
    fork();
  });

  const aggregator = new AggregatorRegistry();
  const own = new Registry();
  registerSyncMetrics(own, sync);
  // The zone is made from the rule map, which only this process holds: the XFR listener lives here.
  const rpz = await startRpzPrimary(cfg.rpzXfr, cfg.host, sync, own, log.child({ component: 'rpz-xfr' }));
  await sync.start();
  // One sender per gateway: here, beside sync, with the counters aggregated over the workers.
  const heartbeats = startHeartbeats(cfg, {
    version: () => sync.version,
    rules: () => sync.rules.size,
    metrics: () => aggregator.clusterMetrics(),
  }, log.child({ component: 'heartbeat' }));
  for (let i = 0; i < cfg.workers; i++) fork();

  const obs = await startObservabilityServer(cfg.host, cfg.metricsPort, {
    metrics: async () => {
      const [workers, mine] = await Promise.all([aggregator.clusterMetrics(), own.metrics()]);
      return { contentType: own.contentType, body: `${mine}\n${workers}` };
    },
    ready: () => readyWorkers.size >= cfg.workers,
    status: () => ({
      workersReady: readyWorkers.size, workers: cfg.workers, version: sync.version, sync: sync.state,
      ...(rpz ? { rpz: rpz.status() } : {}),
      ...(sync.snapshotWriteError === undefined ? {} : { snapshotFile: `write failing: ${sync.snapshotWriteError}` }),
    }),
  }, log);

  return {
    metricsPort: obs.port,
    async close() {
      closing = true;
      const synced = Promise.all([sync.stop(), heartbeats?.stop()]);
      const exits = Object.values(cluster.workers ?? {}).map((w) => new Promise<void>((resolve) => {
        if (!w || w.isDead()) return resolve();
        w.once('exit', () => resolve());
        // The worker drains its listeners (DRAIN_GRACE_MS) and exits; not w.disconnect(),
        // which waits for every client connection to end by itself.
        sendTo(w, { type: 'tz:drain' });
        setTimeout(() => { if (!w.isDead()) w.kill('SIGKILL'); }, WORKER_STOP_MS).unref();
      }));
      await Promise.all([...exits, synced]);
      await Promise.all([obs.close(), feed.close(), rpz?.close()]);
    },
  };
}

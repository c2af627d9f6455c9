import cluster from 'node:cluster';
import { startPrimary } from './cluster/primary.js';
import { startWorker } from './cluster/worker.js';
import { ConfigError, loadConfig, type GatewayConfig } from './config.js';
import { createGateway } from './gateway.js';
import { createLogger } from './logger.js';

/** Past this the process exits whatever is left (the goal: stopped within 3 s of SIGTERM). */
const STOP_DEADLINE_MS = 2_800;

/** Entry point: the only place that reads process.env for the gateway and exits the process. */
async function main(): Promise<void> {
  let cfg: GatewayConfig;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`filter-gateway: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  if (cluster.isWorker) {
    const log = createLogger(cfg.logLevel, { worker: cluster.worker?.id });
    const services = await startWorker(cfg, log);
    // The primary disconnects us to shut down; it also handles the signals.
    // The primary went away without telling us to drain (killed): stop serving too.
    process.on('disconnect', () => { void services.close().finally(() => process.exit(0)); });
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => undefined);
    return;
  }

  const log = createLogger(cfg.logLevel);
  const running = cfg.workers > 1 ? await startPrimary(cfg, log) : await createGateway(cfg, { logger: log });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info({ signal }, 'shutting down');
    // Bounded whatever happens: the snapshot on disk is replaced by rename, so exiting in the
    // middle of a write leaves the previous whole one.
    setTimeout(() => {
      log.error({ ms: Date.now() - started }, 'stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    running.close().then(() => {
      log.info({ ms: Date.now() - started }, 'stopped');
      process.exit(0);
    }, (err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`filter-gateway: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

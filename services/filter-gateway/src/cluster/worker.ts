import { AggregatorRegistry, Registry, collectDefaultMetrics } from 'prom-client';
import { registerMemoryMetrics } from '../observability/memory-metrics.js';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import { RuleSet } from '../dns/rules/rule-set.js';
import { startServices, type Services } from '../services.js';
import { readSnapshotFile } from '../sync/snapshot-file.js';
import { isTzMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/**
 * A cluster worker: serves DNS against its own RuleSet, fed by the primary. Messages are
 * handled in arrival order (a reload finishes before the next batch applies), so a worker
 * never applies changes onto the wrong base.
 */
export async function startWorker(cfg: GatewayConfig, log: Logger): Promise<Services> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerMemoryMetrics(registry);
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs prom-client's reply to the primary's metrics requests

  const rules = new RuleSet();
  const send = (m: WorkerToPrimary): void => { process.send?.(m); };
  let queue: Promise<void> = Promise.resolve();
  let listening = false;
  const reportReady = (): void => { if (listening && rules.loaded) send({ type: 'tz:ready', version: rules.version }); };

  process.on('message', (m: unknown) => {
    if (!isTzMessage(m)) return;
    const msg = m as PrimaryToWorker;
    if (msg.type === 'tz:drain') {
      // Not queued behind a rule reload: draining starts now.
      void drainAndExit();
      return;
    }
    queue = queue.then(async () => {
      try {
        if (msg.type === 'tz:reload') {
          const snap = await readSnapshotFile(msg.file);
          if (snap) rules.replace(snap.rules, snap.version);
        } else if (msg.type === 'tz:replace') {
          rules.replace(msg.rules, msg.version);
        } else if (msg.type === 'tz:changes') {
          rules.apply(msg.changes, msg.to);
        }
        reportReady();
      } catch (err) {
        log.error({ err }, 'could not apply rules from the primary');
      }
    });
  });

  let draining: Promise<void> | undefined;
  const drainAndExit = (): Promise<void> => {
    draining ??= (services?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => { log.error({ err }, 'drain failed'); process.exit(1); },
    );
    return draining;
  };
  let services: Services | undefined;
  services = await startServices(cfg, rules, registry, log);
  listening = true;
  send({ type: 'tz:hello' });
  return services;
}

import { Gauge, type Registry } from 'prom-client';
import type { SyncEngine } from '../sync/sync-engine.js';

/** Read at scrape time, so staleness keeps growing while the register is away. */
export function registerSyncMetrics(registry: Registry, sync: SyncEngine): void {
  new Gauge({
    name: 'register_version', help: 'Register version (last log entry) enforced',
    registers: [registry], aggregator: 'max',
    collect() { this.set(sync.version); },
  });
  new Gauge({
    name: 'register_rules', help: 'Rules in the enforced set',
    registers: [registry], aggregator: 'max',
    collect() { this.set(sync.rules.size); },
  });
  new Gauge({
    name: 'sync_staleness_seconds',
    help: 'Seconds the rules may be behind the register: 0 while a long-poll waits within its time, else since the last answer (since start when never)',
    registers: [registry], aggregator: 'max',
    collect() { this.set(sync.stalenessMs() / 1000); },
  });
  new Gauge({
    name: 'snapshot_write_failures',
    help: 'Snapshot file writes that failed since start (a full or read-only data directory); enforcement goes on from memory',
    registers: [registry], aggregator: 'max',
    collect() { this.set(sync.snapshotWriteFailures); },
  });
  new Gauge({
    name: 'snapshot_write_ok',
    help: '1 when the last snapshot file write succeeded (or none was needed yet), 0 while writes fail',
    registers: [registry], aggregator: 'min',
    collect() { this.set(sync.snapshotWriteError === undefined ? 1 : 0); },
  });
}

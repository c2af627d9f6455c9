import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RpzZone } from './rpz-zone.js';

export type TransferKind = 'axfr' | 'ixfr' | 'ixfr_full' | 'ixfr_current' | 'soa';

/** Zone-transfer metrics; staleness is read at scrape time so it keeps growing while the register is away. */
export class XfrMetrics {
  readonly transfers: Counter<'kind' | 'result'>;
  readonly refused: Counter<'reason'>;
  readonly bytes: Counter;
  readonly duration: Histogram<'kind'>;
  readonly notifies: Counter<'result'>;

  constructor(registry: Registry, zone: RpzZone, stalenessMs: () => number) {
    this.transfers = new Counter({
      name: 'rpz_xfr_transfers_total', help: 'RPZ zone transfers and SOA queries answered, by kind and result',
      labelNames: ['kind', 'result'] as const, registers: [registry],
    });
    this.refused = new Counter({
      name: 'rpz_xfr_refused_total', help: 'RPZ transfer requests refused, by reason (acl, tsig_badkey, tsig_badsig, tsig_badtime, tsig_replay, formerr, …)',
      labelNames: ['reason'] as const, registers: [registry],
    });
    this.bytes = new Counter({ name: 'rpz_xfr_bytes_total', help: 'Bytes of RPZ transfer answers sent', registers: [registry] });
    this.duration = new Histogram({
      name: 'rpz_xfr_transfer_seconds', help: 'Time to send one RPZ transfer', labelNames: ['kind'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30], registers: [registry],
    });
    this.notifies = new Counter({
      name: 'rpz_notify_total', help: 'NOTIFY messages to secondaries, by result (acked, retry, gave_up)',
      labelNames: ['result'] as const, registers: [registry],
    });
    new Gauge({
      name: 'rpz_zone_serial', help: 'SOA serial of the RPZ zone served (= register version); -1 before any rule set',
      registers: [registry], collect() { this.set(zone.serial ?? -1); },
    });
    new Gauge({
      name: 'rpz_zone_rules', help: 'Rules behind the RPZ zone served', registers: [registry],
      collect() { this.set(zone.ruleCount); },
    });
    new Gauge({
      name: 'rpz_zone_stale_seconds',
      help: 'Seconds the zone served may be behind the register: 0 while the gateway\'s long-poll waits within its time, else since the register last answered (since start when never)',
      registers: [registry], collect() { this.set(stalenessMs() / 1000); },
    });
    new Gauge({
      name: 'rpz_journal_versions', help: 'Versions the IXFR journal can answer from', registers: [registry],
      collect() { this.set(zone.journal.size); },
    });
  }
}

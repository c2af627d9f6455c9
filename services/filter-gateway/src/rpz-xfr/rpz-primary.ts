import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SyncEngine } from '../sync/sync-engine.js';
import { NotifySender } from './notify-sender.js';
import { RpzZone } from './rpz-zone.js';
import { ReplayGuard } from './tsig.js';
import { RefusalLogLimiter } from './refusal-log.js';
import { nameToWire } from './wire-names.js';
import type { RpzXfrConfig } from './xfr-config.js';
import { XfrMetrics } from './xfr-metrics.js';
import { XfrServer } from './xfr-server.js';

export interface RpzPrimary {
  port: number;
  zone: RpzZone;
  /** For /readyz: which serial is served and how stale it is. */
  status(): { serial: number | null; rules: number; staleSeconds: number; journalVersions: number };
  close(): Promise<void>;
}

/** Journal bounds: about the last 10k versions or 200k records, whichever is smaller. */
const JOURNAL_LIMITS = { maxSteps: 10_000, maxRecords: 200_000 };

/**
 * The RPZ primary: the zone from the sync engine's rules, its transfer listeners, and NOTIFY
 * on each new serial. It runs in the process that syncs (the only holder of the rule map:
 * the single-process gateway, or the cluster primary). It serves whatever rules it has,
 * register or no register; /readyz and `rpz_zone_stale_seconds` say how old they are.
 */
export async function startRpzPrimary(
  cfg: RpzXfrConfig, host: string, sync: SyncEngine, registry: Registry, log: Logger,
): Promise<RpzPrimary | undefined> {
  if (cfg.port === undefined) return undefined;
  const zone = new RpzZone(cfg.zone, sync, JOURNAL_LIMITS);
  const metrics = new XfrMetrics(registry, zone, () => sync.stalenessMs());
  const server = new XfrServer({
    zone, origin: cfg.zone, originWireLength: nameToWire(cfg.zone).length,
    keys: cfg.keys, access: cfg.allow, replay: new ReplayGuard(), metrics, log, refusalLog: new RefusalLogLimiter(),
  }, log);
  const notifier = new NotifySender(cfg.zone, cfg.notify, { attempts: 6, firstTimeoutMs: 1000 }, metrics, log, host);
  const unsubscribe = zone.onSerial((serial) => notifier.notify(serial));
  let port: number;
  try {
    port = await server.listen(host, cfg.port);
  } catch (err) {
    unsubscribe();
    zone.close();
    notifier.close();
    throw err;
  }
  log.info({ port, zone: cfg.zone, serial: zone.serial, notify: cfg.notify.map((t) => `${t.host}:${t.port}`), keys: [...cfg.keys.keys()], allow: cfg.allow.entries }, 'RPZ primary listening');
  return {
    port,
    zone,
    status: () => ({
      serial: zone.serial ?? null,
      rules: zone.ruleCount,
      staleSeconds: Math.round(sync.stalenessMs() / 1000),
      journalVersions: zone.journal.size,
    }),
    async close() {
      unsubscribe();
      notifier.close();
      zone.close();
      await server.close();
    },
  };
}

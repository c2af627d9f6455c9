import type { Kysely } from 'kysely';
import type { DB, IspRow } from '../db/schema.js';
import { databaseNow, gatewaysWithFirstMissingEntry, type GatewayLagRow } from '../repositories/gateway-repository.js';
import { listIsps } from '../repositories/isp-repository.js';
import { logHead } from '../repositories/public-log-repository.js';

/**
 * Which ISP enforces which version of the register and how far behind it is. A gateway's lag
 * is counted in log entries (head seq minus its version) and in seconds (now minus the time of
 * the oldest entry it has not applied; 0 when up to date). Both keep growing while a stopped
 * gateway stays silent, which is the point: silence is not compliance.
 */

/** A gateway that has not reported for this long is shown as silent (it beats every 10 s by default). */
export const SILENT_AFTER_SECONDS = 60;

export type GatewayStatus = 'current' | 'behind' | 'silent';

export interface GatewayEnforcement {
  gatewayId: string;
  version: number;
  rules: number;
  counters: Record<string, number>;
  lagEntries: number;
  lagSeconds: number;
  status: GatewayStatus;
  firstSeenAt: string;
  lastSeenAt: string;
  secondsSinceLastSeen: number;
}

export interface IspEnforcement {
  /** null: gateways whose isp token is not tied to a registered ISP */
  id: string | null;
  name: string | null;
  bin: string | null;
  contact: string | null;
  gateways: GatewayEnforcement[];
  /** The lowest version any of its gateways enforces; null without gateways. */
  minVersion: number | null;
  maxLagEntries: number | null;
  maxLagSeconds: number | null;
  lastSeenAt: string | null;
}

export interface EnforcementOverview {
  registerVersion: number;
  generatedAt: string;
  isps: IspEnforcement[];
}

export async function enforcementOverview(db: Kysely<DB>): Promise<EnforcementOverview> {
  const [head, now, isps, gateways] = await Promise.all([logHead(db), databaseNow(db), listIsps(db), gatewaysWithFirstMissingEntry(db)]);
  const byIsp = new Map<string | null, GatewayEnforcement[]>();
  for (const g of gateways) {
    const list = byIsp.get(g.isp_id) ?? [];
    list.push(gatewayEnforcement(g, head.seq, now));
    byIsp.set(g.isp_id, list);
  }
  const out: IspEnforcement[] = isps.map((isp) => ispEnforcement(isp, byIsp.get(isp.id) ?? []));
  const untied = byIsp.get(null);
  if (untied) out.push(ispEnforcement(null, untied));
  return { registerVersion: head.seq, generatedAt: now.toISOString(), isps: out };
}

function gatewayEnforcement(g: GatewayLagRow, headSeq: number, now: Date): GatewayEnforcement {
  // A version beyond the head (a gateway once fed by another register) is not "ahead": it lags by nothing we can count.
  const lagEntries = Math.max(0, headSeq - g.version);
  const lagSeconds = lagEntries > 0 && g.first_missing_at ? Math.max(0, Math.round((now.getTime() - g.first_missing_at.getTime()) / 1000)) : 0;
  const secondsSinceLastSeen = Math.max(0, Math.round((now.getTime() - g.last_seen_at.getTime()) / 1000));
  const status: GatewayStatus = secondsSinceLastSeen > SILENT_AFTER_SECONDS ? 'silent' : lagEntries > 0 ? 'behind' : 'current';
  return {
    gatewayId: g.gateway_id,
    version: g.version,
    rules: g.rules,
    counters: g.counters,
    lagEntries,
    lagSeconds,
    status,
    firstSeenAt: g.first_seen_at.toISOString(),
    lastSeenAt: g.last_seen_at.toISOString(),
    secondsSinceLastSeen,
  };
}

function ispEnforcement(isp: IspRow | null, gateways: GatewayEnforcement[]): IspEnforcement {
  const max = (f: (g: GatewayEnforcement) => number) => (gateways.length ? Math.max(...gateways.map(f)) : null);
  const lastSeen = gateways.reduce<string | null>((a, g) => (a === null || g.lastSeenAt > a ? g.lastSeenAt : a), null);
  return {
    id: isp?.id ?? null,
    name: isp?.name ?? null,
    bin: isp?.bin ?? null,
    contact: isp?.contact ?? null,
    gateways,
    minVersion: gateways.length ? Math.min(...gateways.map((g) => g.version)) : null,
    maxLagEntries: max((g) => g.lagEntries),
    maxLagSeconds: max((g) => g.lagSeconds),
    lastSeenAt: lastSeen,
  };
}

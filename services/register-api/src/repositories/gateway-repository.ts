import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, GatewayRow } from '../db/schema.js';

type Conn = Kysely<DB> | Transaction<DB>;

export interface Heartbeat {
  gatewayId: string;
  ispId: string | null;
  userId: string;
  version: number;
  rules: number;
  counters: Record<string, number>;
  sourceIp: string | null;
}

/**
 * Keeps the latest heartbeat of each gateway (one row, updated in place; no per-beat history,
 * which would grow by a row every few seconds per gateway in a register that never deletes).
 * Returns whether this was the gateway's first heartbeat.
 */
export async function recordHeartbeat(trx: Transaction<DB>, hb: Heartbeat): Promise<{ row: GatewayRow; firstSeen: boolean }> {
  const counters = JSON.stringify(hb.counters);
  const row = await trx
    .insertInto('gateways')
    .values({
      owner_key: hb.ispId ?? hb.userId,
      gateway_id: hb.gatewayId,
      isp_id: hb.ispId,
      user_id: hb.userId,
      version: hb.version,
      rules: hb.rules,
      counters,
      source_ip: hb.sourceIp,
    })
    .onConflict((oc) =>
      oc.columns(['owner_key', 'gateway_id']).doUpdateSet({
        user_id: hb.userId,
        version: hb.version,
        rules: hb.rules,
        counters,
        source_ip: hb.sourceIp,
        last_seen_at: sql<Date>`now()`,
        heartbeats: sql<number>`gateways.heartbeats + 1`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, firstSeen: Number(row.heartbeats) === 1 };
}

export interface GatewayLagRow {
  id: string;
  gateway_id: string;
  isp_id: string | null;
  version: number;
  rules: number;
  counters: Record<string, number>;
  first_seen_at: Date;
  last_seen_at: Date;
  /** Time of the first log entry the gateway has not applied; null when it has applied them all. */
  first_missing_at: Date | null;
}

/** Every gateway with the time of the oldest log entry it is missing (seq is gapless: version + 1). */
export async function gatewaysWithFirstMissingEntry(db: Conn): Promise<GatewayLagRow[]> {
  const { rows } = await sql<GatewayLagRow>`
    SELECT g.id, g.gateway_id, g.isp_id, g.version, g.rules, g.counters, g.first_seen_at, g.last_seen_at,
           pl.time AS first_missing_at
    FROM gateways g
    LEFT JOIN public_log pl ON pl.seq = g.version + 1
    ORDER BY g.gateway_id, g.id`.execute(db);
  return rows.map((r) => ({ ...r, version: Number(r.version), rules: Number(r.rules) }));
}

/** The database's clock, which heartbeats and log times are written with. */
export async function databaseNow(db: Conn): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(db);
  return rows[0]!.now;
}

import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { publicStats } from '../../repositories/public-query-repository.js';

/** Weeks shown by the weekly charts: half a year is readable on a phone and still shows trends. */
export const WEEKS = 26;
/** Cached figures are rebuilt at most this often, and never while the log head stands still. */
const MAX_AGE_MS = 30_000;

export interface StatsView {
  /** month (YYYY-MM) → restrictions in force at its end, with that month's additions and removals */
  inForce: { month: string; added: number; removed: number; inForce: number }[];
  weeklyByCategory: WeeklyCounts;
  weeklyByBasisKind: WeeklyCounts;
  authorities: { key: string; n: number }[];
}

export interface WeeklyCounts {
  /** Mondays (YYYY-MM-DD), oldest first, only weeks with changes */
  weeks: string[];
  /** series keys, largest total first */
  keys: string[];
  /** counts[w][k]: changes in week w of key k */
  counts: number[][];
}

function weekly(rows: readonly { week: string; key: string; n: number }[]): WeeklyCounts {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.key, (totals.get(r.key) ?? 0) + r.n);
  const keys = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  const counts = weeks.map(() => keys.map(() => 0));
  for (const r of rows) counts[weeks.indexOf(r.week)]![keys.indexOf(r.key)] = r.n;
  return { weeks, keys, counts };
}

async function computeStats(db: Kysely<DB>, now: Date): Promise<StatsView> {
  const from = new Date(now.getTime() - WEEKS * 7 * 86_400_000);
  const week = sql<string>`to_char(date_trunc('week', l.time AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
  const [base, byCategory, byBasis] = await Promise.all([
    publicStats(db),
    db.selectFrom('public_log as l').select([week.as('week'), 'l.category as key', sql<number>`count(*)::int`.as('n')])
      .where('l.time', '>=', from).groupBy([sql`1`, sql`2`]).execute(),
    db.selectFrom('public_log as l').innerJoin('decisions as d', 'd.id', 'l.decision_id').innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
      .select([week.as('week'), 'b.kind as key', sql<number>`count(*)::int`.as('n')])
      .where('l.time', '>=', from).groupBy([sql`1`, sql`2`]).execute(),
  ]);
  let running = 0;
  const inForce = base.byMonth.map((m) => {
    running += Number(m.added) - Number(m.removed);
    return { month: m.month, added: Number(m.added), removed: Number(m.removed), inForce: running };
  });
  return {
    inForce,
    weeklyByCategory: weekly(byCategory.map((r) => ({ ...r, n: Number(r.n) }))),
    weeklyByBasisKind: weekly(byBasis.map((r) => ({ ...r, n: Number(r.n) }))),
    authorities: base.byAuthority.slice(0, 15).map((r) => ({ key: r.key, n: Number(r.n) })),
  };
}

/**
 * The statistics scan the whole log and every open span (about a second at a million rules), so
 * one computation serves every reader until the log moves on and the copy is 30 s old.
 */
export class StatsCache {
  #value: { head: number; at: number; stats: Promise<StatsView> } | undefined;

  constructor(private readonly db: Kysely<DB>, private readonly head: () => number) {}

  get(): Promise<StatsView> {
    const now = Date.now();
    const head = this.head();
    const cached = this.#value;
    if (cached && (cached.head === head || now - cached.at < MAX_AGE_MS)) return cached.stats;
    const stats = computeStats(this.db, new Date(now));
    this.#value = { head, at: now, stats };
    // A failed computation is not kept: the next reader tries again.
    stats.catch(() => { if (this.#value?.stats === stats) this.#value = undefined; });
    return stats;
  }
}

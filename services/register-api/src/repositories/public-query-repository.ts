import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { DB } from '../db/schema.js';

/** Spans joined with everything the public sees about them. */
export function publicSpans(db: Kysely<DB>) {
  return db
    .selectFrom('enforcement_periods as p')
    .innerJoin('resources as r', 'r.id', 'p.resource_id')
    .innerJoin('decisions as d', 'd.id', 'p.decision_id')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .select([
      'p.id as span_id', 'p.mode', 'p.starts_at', 'p.ends_at', 'p.closed_at', 'p.end_reason', 'p.add_seq',
      'r.kind', 'r.value', 'r.display', 'r.host',
      'd.id as decision_id', 'd.action', 'd.category', 'd.effective_from',
      'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at', 'b.id as basis_id',
    ]);
}

export type PublicSpanRow = Awaited<ReturnType<ReturnType<typeof publicSpans>['execute']>>[number];

export interface CheckTarget {
  host?: string | undefined;
  /** every parent of host, host included: candidates for suffix rules */
  parents?: string[] | undefined;
  ip?: string | undefined;
}

/** Spans in force at `at` that cover the target: exact name, suffix above it, URLs on it, prefixes containing the IP. */
export async function spansCovering(db: Kysely<DB>, target: CheckTarget, at: Date): Promise<PublicSpanRow[]> {
  return publicSpans(db)
    .where('p.starts_at', '<=', at)
    .where((eb) => eb.or([eb('p.ends_at', 'is', null), eb('p.ends_at', '>', at)]))
    .where((eb) => {
      const alternatives: Expression<SqlBool>[] = [];
      if (target.host) {
        alternatives.push(eb.and([eb('r.kind', '=', 'domain'), eb('r.value', '=', target.host)]));
        alternatives.push(eb.and([eb('r.kind', '=', 'url'), eb('r.host', '=', target.host)]));
      }
      if (target.parents?.length) alternatives.push(eb.and([eb('r.kind', '=', 'domain_suffix'), eb('r.value', 'in', target.parents)]));
      if (target.ip) {
        alternatives.push(eb.and([eb('r.kind', 'in', ['ip', 'cidr']), sql<SqlBool>`r.value::inet >>= ${target.ip}::inet`]));
      }
      return alternatives.length ? eb.or(alternatives) : sql<SqlBool>`false`;
    })
    .orderBy('p.add_seq')
    .execute();
}

export interface EntryFilters {
  domain?: string | undefined;
  category?: string | undefined;
  basisKind?: string | undefined;
  authority?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  active?: boolean | undefined;
  afterSpan?: number | undefined;
}

/** The searchable register: one row per span a resource was enforced, oldest first. */
export function entriesQuery(db: Kysely<DB>, f: EntryFilters) {
  let q = publicSpans(db).orderBy('p.id');
  if (f.domain) {
    // Names under a domain share its suffix: compared reversed, the suffix is a prefix, which
    // the reversed-host index (migration 0005) answers without scanning every resource.
    const under = `${[...`.${f.domain}`].reverse().join('').replace(/[%_\\]/g, '\\$&')}%`;
    q = q.where((eb) => eb.or([eb('r.host', '=', f.domain!), sql<SqlBool>`reverse(r.host) LIKE ${under}`]));
  }
  if (f.category) q = q.where('d.category', '=', f.category);
  if (f.basisKind) q = q.where('b.kind', '=', f.basisKind as 'court_ruling');
  if (f.authority) q = q.where('b.authority', 'ilike', `%${f.authority.replace(/[%_\\]/g, '\\$&')}%`);
  if (f.since) q = q.where('p.starts_at', '>=', f.since);
  if (f.until) q = q.where('p.starts_at', '<', f.until);
  if (f.active === true) q = q.where('p.closed_at', 'is', null);
  if (f.active === false) q = q.where('p.closed_at', 'is not', null);
  if (f.afterSpan !== undefined) q = q.where('p.id', '>', f.afterSpan);
  return q;
}

/** Every approved decision on one resource, in the order it was taken, with its basis. */
export async function decisionsOnResource(db: Kysely<DB>, resourceId: string) {
  return db
    .selectFrom('decision_resources as dr')
    .innerJoin('decisions as d', 'd.id', 'dr.decision_id')
    .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .select([
      'd.id', 'd.action', 'd.status', 'd.category', 'd.effective_from', 'd.effective_until', 'd.approved_at', 'd.ended_at', 'd.end_reason', 'd.note',
      'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at', 'b.provisions',
    ])
    .where('dr.resource_id', '=', resourceId)
    .where('d.approved_at', 'is not', null)
    .orderBy('d.approved_at')
    .execute();
}

export async function logEntriesOfResource(db: Kysely<DB>, resourceId: string) {
  return db.selectFrom('public_log').select(['seq', 'body', 'prev_hash', 'hash']).where('resource_id', '=', resourceId).orderBy('seq').execute();
}

export async function publicStats(db: Kysely<DB>) {
  // Restrictions and suspensions in force; exceptions (mode allow) are counted apart.
  const active = db.selectFrom('enforcement_periods as p').innerJoin('decisions as d', 'd.id', 'p.decision_id').innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
    .where('p.closed_at', 'is', null).where('p.mode', '<>', 'allow');
  const [byCategory, byBasisKind, byAuthority, byMonth, totals] = await Promise.all([
    active.select(['d.category as key', sql<number>`count(*)::int`.as('n')]).groupBy('d.category').orderBy('n', 'desc').execute(),
    active.select(['b.kind as key', sql<number>`count(*)::int`.as('n')]).groupBy('b.kind').orderBy('n', 'desc').execute(),
    active.select(['b.authority as key', sql<number>`count(*)::int`.as('n')]).groupBy('b.authority').orderBy('n', 'desc').limit(100).execute(),
    db
      .selectFrom('public_log')
      .select([
        sql<string>`to_char(date_trunc('month', time AT TIME ZONE 'UTC'), 'YYYY-MM')`.as('month'),
        sql<number>`count(*) FILTER (WHERE op = 'add')::int`.as('added'),
        sql<number>`count(*) FILTER (WHERE op = 'remove')::int`.as('removed'),
      ])
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute(),
    db
      .selectFrom('public_log_head')
      .select([
        'seq',
        sql<number>`(SELECT count(*) FROM enforcement_periods WHERE closed_at IS NULL)::int`.as('active'),
        sql<number>`(SELECT count(*) FROM enforcement_periods WHERE closed_at IS NULL AND mode = 'allow')::int`.as('exceptions'),
        sql<number>`(SELECT count(*) FROM decisions WHERE approved_at IS NOT NULL)::int`.as('decisions'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  return { byCategory, byBasisKind, byAuthority, byMonth, totals };
}

import type { Kysely } from 'kysely';
import type { LogEntryBody } from '@tizilim/shared';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../../db/schema.js';
import { publicEntry, publicResource, type PublicEntry } from '../../domain/public-view.js';
import { resourceStateAt, type ResourceState } from '../../domain/resource-state.js';
import { logEntriesOfResource } from '../../repositories/public-query-repository.js';
import { findResource } from '../../repositories/resource-repository.js';

export interface ResourceView {
  resource: ReturnType<typeof publicResource>;
  state: ResourceState['state'];
  until: string | undefined;
  /** every span the resource was enforced, oldest first */
  spans: PublicEntry[];
  log: LogEntryBody[];
  known: boolean;
}

/** The timeline of one resource: its state now, its spans of enforcement and its log entries. */
export async function loadResourceView(db: Kysely<DB>, parsed: ParsedResource, publicBaseUrl: string): Promise<ResourceView> {
  const row = await findResource(db, parsed.kind, parsed.value);
  if (!row) {
    return {
      resource: publicResource({ kind: parsed.kind, value: parsed.value, display: parsed.display, host: parsed.host ?? null }, 'other'),
      state: 'accessible', until: undefined, spans: [], log: [], known: false,
    };
  }
  const [spanRows, log, state] = await Promise.all([
    db.selectFrom('enforcement_periods as p')
      .innerJoin('decisions as d', 'd.id', 'p.decision_id')
      .innerJoin('legal_bases as b', 'b.id', 'd.legal_basis_id')
      .select([
        'p.mode', 'p.starts_at', 'p.ends_at', 'p.closed_at', 'p.end_reason', 'p.add_seq',
        'd.id as decision_id', 'd.category', 'b.kind as basis_kind', 'b.authority', 'b.document_number', 'b.issued_at',
      ])
      .where('p.resource_id', '=', row.id)
      .orderBy('p.starts_at').orderBy('p.id')
      .execute(),
    logEntriesOfResource(db, row.id),
    resourceStateAt(db, parsed, new Date()),
  ]);
  const spans = spanRows.map((s) => publicEntry({ ...s, kind: row.kind, value: row.value, display: row.display, host: row.host }, publicBaseUrl));
  const entries = log.map((l) => JSON.parse(l.body) as LogEntryBody);
  // The newest decision's category rules the redaction, as on the public history route.
  const category = spanRows.at(-1)?.category ?? entries.at(-1)?.category ?? 'other';
  return { resource: publicResource(row, category), state: state.state, until: state.until, spans, log: entries, known: true };
}

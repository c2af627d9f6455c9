import type { Kysely } from 'kysely';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { findResource } from '../repositories/resource-repository.js';
import { periodCovering } from '../repositories/enforcement-repository.js';

export interface ResourceState {
  value: string;
  kind: ParsedResource['kind'];
  display: string;
  at: string;
  state: 'restricted' | 'suspended' | 'accessible';
  since?: string;
  until?: string;
  decisionId?: string;
  category?: string;
  legalBasis?: { id: string; kind: string; authority: string; documentNumber: string; issuedAt: string };
}

/** The state of one resource at an instant, derived from its enforcement spans. */
export async function resourceStateAt(db: Kysely<DB>, resource: ParsedResource, at: Date): Promise<ResourceState> {
  const base = { value: resource.value, kind: resource.kind, display: resource.display, at: at.toISOString() };
  const row = await findResource(db, resource.kind, resource.value);
  const period = row ? await periodCovering(db, row.id, at) : undefined;
  if (!period) return { ...base, state: 'accessible' };
  return {
    ...base,
    state: period.mode === 'suspend' ? 'suspended' : 'restricted',
    since: period.starts_at.toISOString(),
    ...(period.ends_at ? { until: period.ends_at.toISOString() } : {}),
    decisionId: period.decision_id,
    category: period.category,
    legalBasis: { id: period.basis_id, kind: period.basis_kind, authority: period.authority, documentNumber: period.document_number, issuedAt: period.issued_at },
  };
}

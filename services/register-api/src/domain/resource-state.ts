import type { Kysely } from 'kysely';
import type { RuleMode } from '@tizilim/shared';
import type { ParsedResource } from '@tizilim/shared/resource/index';
import type { DB } from '../db/schema.js';
import { spansCovering, type PublicSpanRow } from '../repositories/public-query-repository.js';
import { blocks, coverageQuestion, decidingRule } from './coverage.js';

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
  /**
   * The rule or exception that decides the resource (coverage.ts): its own span, or a wider
   * rule above it (a wildcard above a name, a host above a URL, a wider prefix). Absent when
   * nothing covers it. `since`, `until`, `decisionId`, `category` and `legalBasis` are the
   * deciding rule's: for an exception, the restoration that keeps the resource accessible.
   */
  decidedBy?: { entry: number; kind: ParsedResource['kind']; value: string; display: string; mode: RuleMode; own: boolean; exception: boolean };
}

/** The state of one resource at an instant: decided by the most specific span in force that covers it. */
export async function resourceStateAt(db: Kysely<DB>, resource: ParsedResource, at: Date): Promise<ResourceState> {
  const base = { value: resource.value, kind: resource.kind, display: resource.display, at: at.toISOString() };
  const { span } = await decidingSpanAt(db, resource, at);
  if (!span) return { ...base, state: 'accessible' };
  return {
    ...base,
    state: !blocks(span) ? 'accessible' : span.mode === 'suspend' ? 'suspended' : 'restricted',
    since: span.starts_at.toISOString(),
    ...(span.ends_at ? { until: span.ends_at.toISOString() } : {}),
    decisionId: span.decision_id,
    category: span.category,
    legalBasis: { id: span.basis_id, kind: span.basis_kind, authority: span.authority, documentNumber: span.document_number, issuedAt: span.issued_at },
    decidedBy: {
      entry: Number(span.add_seq ?? 0), kind: span.kind, value: span.value, display: span.display, mode: span.mode,
      own: span.kind === resource.kind && span.value === resource.value, exception: span.mode === 'allow',
    },
  };
}

/** The span that decides `resource` at `at` (undefined: none covers it), with every span in force that covers it. */
export async function decidingSpanAt(db: Kysely<DB>, resource: Pick<ParsedResource, 'kind' | 'value' | 'host'>, at: Date): Promise<{ span: PublicSpanRow | undefined; covering: PublicSpanRow[] }> {
  const { asked, target } = coverageQuestion(resource);
  const covering = await spansCovering(db, target, at);
  return { span: decidingRule(covering, asked), covering };
}

import { createHash } from 'node:crypto';
import type { PublicSpanRow } from '../repositories/public-query-repository.js';
import { isSensitiveCategory } from './categories.js';

/**
 * What the public sees of a resource: everything, except the URL of a sensitive category,
 * which shows as its host and the SHA-256 of the URL (the same rule as the public log).
 */
export function publicResource(row: { kind: PublicSpanRow['kind']; value: string; display: string; host: string | null }, category: string) {
  const redact = row.kind === 'url' && isSensitiveCategory(category);
  return {
    kind: row.kind,
    value: redact ? null : row.value,
    display: redact ? null : row.display,
    host: row.host,
    valueSha256: createHash('sha256').update(row.value, 'utf8').digest('hex'),
  };
}

/** What `publicEntry` reads of a span: a database row, or one rebuilt from the in-memory copy. */
export type PublicEntrySource = Pick<
  PublicSpanRow,
  'add_seq' | 'kind' | 'value' | 'display' | 'host' | 'category' | 'closed_at' | 'mode' | 'starts_at' | 'ends_at' | 'end_reason'
  | 'decision_id' | 'basis_kind' | 'authority' | 'document_number' | 'issued_at'
>;

/** One span of enforcement, as the public API and bulk exports present it. */
export function publicEntry(row: PublicEntrySource, publicBaseUrl: string) {
  const entry = Number(row.add_seq ?? 0);
  return {
    entry,
    entryUrl: `${publicBaseUrl}/public/v1/log/${entry}`,
    resource: publicResource(row, row.category),
    state: row.closed_at ? ('ended' as const) : row.mode === 'suspend' ? ('suspended' as const) : row.mode === 'allow' ? ('excepted' as const) : ('restricted' as const),
    mode: row.mode,
    since: row.starts_at.toISOString(),
    until: row.ends_at ? row.ends_at.toISOString() : null,
    endReason: row.end_reason,
    decisionId: row.decision_id,
    category: row.category,
    legalBasis: { kind: row.basis_kind, authority: row.authority, documentNumber: row.document_number, issuedAt: row.issued_at },
  };
}

export type PublicEntry = ReturnType<typeof publicEntry>;

export const CSV_COLUMNS = [
  'entry', 'state', 'kind', 'value', 'host', 'value_sha256', 'since', 'until', 'end_reason', 'category',
  'decision_id', 'basis_kind', 'authority', 'document_number', 'issued_at', 'entry_url',
] as const;

export function csvRow(e: PublicEntry): string {
  const cells = [
    e.entry, e.state, e.resource.kind, e.resource.value ?? '', e.resource.host ?? '', e.resource.valueSha256, e.since, e.until ?? '', e.endReason ?? '',
    e.category, e.decisionId, e.legalBasis.kind, e.legalBasis.authority, e.legalBasis.documentNumber, e.legalBasis.issuedAt, e.entryUrl,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed so spreadsheets do not run it as a formula. */
function csvCell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

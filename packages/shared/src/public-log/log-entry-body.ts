import type { LogEntryBody } from '../public-log-types.js';

/**
 * Exactly the hashed fields of an entry, nested objects included. Hashing a projection rather
 * than the object as given means a whole `PublicLogEntry` (with `prevHash`/`hash`) or a
 * database row with extra columns hashes the same as the bare body.
 */
export function logEntryBodyOf(entry: LogEntryBody): LogEntryBody {
  const { resource, decision, legalBasis } = entry;
  return {
    seq: entry.seq,
    time: entry.time,
    op: entry.op,
    reason: entry.reason,
    mode: entry.mode,
    until: entry.until,
    resource: {
      kind: resource.kind,
      value: resource.value,
      host: resource.host,
      display: resource.display,
      valueSha256: resource.valueSha256,
    },
    category: entry.category,
    decision: { id: decision.id, action: decision.action, effectiveFrom: decision.effectiveFrom },
    legalBasis: {
      id: legalBasis.id,
      kind: legalBasis.kind,
      authority: legalBasis.authority,
      documentNumber: legalBasis.documentNumber,
      issuedAt: legalBasis.issuedAt,
    },
  };
}

/** Public log entries and rules for the block page tests. */
import type { FeedRule, PublicLogEntry } from '@tizilim/shared';

export function logEntry(seq: number, over: { kind?: PublicLogEntry['resource']['kind']; value?: string | null; host?: string; category?: string; basis?: Partial<PublicLogEntry['legalBasis']>; mode?: 'restrict' | 'suspend'; until?: string | null } = {}): PublicLogEntry {
  const value = over.value === undefined ? 'blocked.test' : over.value;
  return {
    seq,
    time: '2026-03-02T10:00:00.000Z',
    op: 'add',
    reason: 'approved',
    mode: over.mode ?? 'restrict',
    until: over.until ?? null,
    resource: { kind: over.kind ?? 'domain', value, host: over.host ?? 'blocked.test', display: value, valueSha256: 'ab'.repeat(32) },
    category: over.category ?? 'extremism',
    decision: { id: `dec-${seq}`, action: 'restrict', effectiveFrom: '2026-03-01T09:30:00.000Z' },
    legalBasis: {
      id: `lb-${seq}`, kind: 'court_ruling', authority: 'Specialised Inter-District Court of Astana', documentNumber: '7199-26-00-2/1234',
      issuedAt: '2026-02-20T00:00:00.000Z', ...over.basis,
    },
    prevHash: '00'.repeat(32),
    hash: '11'.repeat(32),
  };
}

export const rule = (kind: FeedRule['kind'], value: string, entry: number, until?: string): FeedRule =>
  ({ id: `r${entry}`, kind, value, mode: until ? 'suspend' : 'restrict', entry, ...(until ? { until } : {}) });

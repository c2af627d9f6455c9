import { createHash } from 'node:crypto';
import { GENESIS_HASH, type LogEntryBody, type PublicLogEntry } from '../src/public-log-types.js';
import { entryHash } from '../src/public-log/index.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');

/** A deterministic body for `seq`, varying every field across entries (sensitive ones included). */
export function sampleBody(seq: number): LogEntryBody {
  const sensitive = seq % 7 === 0;
  const host = `site-${seq % 97}.kz`;
  const value = sensitive ? `https://${host}/p/${seq}` : host;
  return {
    seq,
    // Some neighbours share a millisecond: equal times are allowed, only going back is not.
    time: new Date(START + Math.floor(seq / 3) * 60_000).toISOString(),
    op: seq % 5 === 0 ? 'remove' : 'add',
    reason: seq % 5 === 0 ? 'expired' : 'approved',
    mode: seq % 4 === 0 ? 'suspend' : 'restrict',
    until: seq % 4 === 0 ? new Date(START + 30 * 86_400_000).toISOString() : null,
    resource: {
      kind: sensitive ? 'url' : 'domain',
      value: sensitive ? null : value,
      host,
      display: sensitive ? null : `Сайт ${seq} «қазақ»`,
      valueSha256: createHash('sha256').update(value, 'utf8').digest('hex'),
    },
    category: sensitive ? 'child_sexual_abuse' : 'extremism',
    decision: { id: `dec-${Math.ceil(seq / 2)}`, action: seq % 4 === 0 ? 'suspend' : 'restrict', effectiveFrom: '2026-01-01T00:00:00.000Z' },
    legalBasis: {
      id: `lb-${seq % 11}`,
      kind: seq % 2 === 0 ? 'court_ruling' : 'ministry_order',
      authority: 'Алматы қаласының аудандық соты',
      documentNumber: `2-${seq}/2026`,
      issuedAt: '2025-12-20',
    },
  };
}

/** Links bodies into a chain, recomputing every prevHash and hash. */
export function chainOf(bodies: readonly LogEntryBody[]): PublicLogEntry[] {
  let prevHash = GENESIS_HASH;
  return bodies.map((body) => {
    const hash = entryHash(prevHash, body);
    const entry: PublicLogEntry = { ...body, prevHash, hash };
    prevHash = hash;
    return entry;
  });
}

export function sampleChain(length: number): PublicLogEntry[] {
  return chainOf(Array.from({ length }, (_, i) => sampleBody(i + 1)));
}

/** A deep copy that tests can alter freely. */
export function cloneEntries(entries: readonly PublicLogEntry[]): PublicLogEntry[] {
  return structuredClone(entries as PublicLogEntry[]);
}

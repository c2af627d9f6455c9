import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type PublicLogEntry } from '../src/public-log-types.js';
import {
  ChainVerifier,
  entryHash,
  generateSigningKey,
  publicKeyToBase64,
  signCheckpoint,
  verifyChain,
  type VerifyResult,
} from '../src/public-log/index.js';
import { chainOf, cloneEntries, sampleBody, sampleChain } from './public-log-fixtures.js';

const LONG = sampleChain(1000);
const SHORT = sampleChain(50);

const OTHER_ENUM_VALUE: Record<string, string> = {
  op: 'add|remove',
  reason: 'approved|expired',
  mode: 'restrict|suspend',
  'resource.kind': 'domain|url',
  'decision.action': 'restrict|suspend',
  'legalBasis.kind': 'court_ruling|ministry_order',
};

/** Every leaf field of an entry as a dotted path. */
function leafPaths(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, member]) =>
    typeof member === 'object' && member !== null ? leafPaths(member as object, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** A different value of the same kind, so only the hash (not the shape check) can notice. */
function alteredValue(path: string, value: unknown): unknown {
  const pair = OTHER_ENUM_VALUE[path]?.split('|');
  if (pair) return value === pair[0] ? pair[1] : pair[0];
  if (typeof value === 'number') return value + 1;
  if (value === null) return 'x';
  if (typeof value !== 'string') throw new Error(`no alteration for ${path}`);
  if (/^[0-9a-f]{64}$/.test(value)) return (value[0] === '0' ? '1' : '0') + value.slice(1);
  if (/^\d{4}-.*Z$/.test(value)) return new Date(Date.parse(value) + 1).toISOString();
  return `${value}x`;
}

function withField(entry: PublicLogEntry, path: string, value: unknown): PublicLogEntry {
  const copy = structuredClone(entry) as unknown as Record<string, Record<string, unknown>>;
  const [head, leaf] = path.split('.') as [string, string | undefined];
  if (leaf === undefined) (copy as Record<string, unknown>)[head] = value;
  else (copy[head] as Record<string, unknown>)[leaf] = value;
  return copy as unknown as PublicLogEntry;
}

function expectBadAt(result: VerifyResult, seq: number, reason?: RegExp): void {
  expect(result).toMatchObject({ ok: false, firstBadSeq: seq, where: 'entry' });
  if (reason && !result.ok) expect(result.reason).toMatch(reason);
}

/** Rewrites history from index `from` on so that the chain itself is consistent again. */
function rehashedFrom(entries: readonly PublicLogEntry[], from: number): PublicLogEntry[] {
  const prefix = entries.slice(0, from);
  let prevHash = prefix.at(-1)?.hash ?? GENESIS_HASH;
  const rest = entries.slice(from).map((e, i) => {
    const body = { ...e, seq: from + i + 1 };
    const hash = entryHash(prevHash, body);
    const rewritten = { ...body, prevHash, hash };
    prevHash = hash;
    return rewritten;
  });
  return [...prefix, ...rest];
}

function seededIndices(count: number, below: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  });
}

describe('verifyChain on an intact log', () => {
  it('verifies a chain of 1,000 entries from genesis', () => {
    expect(verifyChain(LONG)).toEqual({ ok: true, count: 1000, head: { seq: 1000, hash: LONG[999]?.hash } });
  });

  it('verifies an empty log as the genesis head', () => {
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('streams: ChainVerifier holds no entries and accepts a lazy source', () => {
    function* generated(): Generator<PublicLogEntry> {
      let prevHash = GENESIS_HASH;
      for (let seq = 1; seq <= 1000; seq++) {
        const body = sampleBody(seq);
        const hash = entryHash(prevHash, body);
        yield { ...body, prevHash, hash };
        prevHash = hash;
      }
    }
    const verifier = new ChainVerifier();
    for (const entry of generated()) expect(verifier.push(entry)).toBe(true);
    expect(verifier.finish()).toMatchObject({ ok: true, count: 1000, head: { hash: LONG[999]?.hash } });
    expect(() => verifier.push(LONG[0])).toThrow(/after finish/);
  });
});

describe('verifyChain catches tampering at the right seq', () => {
  it('altering any single field of any entry of a 50-entry log', () => {
    const paths = leafPaths(SHORT[0] as object);
    expect(paths).toHaveLength(22);
    for (const [index, entry] of SHORT.entries()) {
      for (const path of paths) {
        const original: unknown = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], entry);
        const entries = [...SHORT];
        entries[index] = withField(entry, path, alteredValue(path, original));
        const result = verifyChain(entries);
        expect(result.ok ? 'ok' : result.firstBadSeq, `${path} of seq ${entry.seq}`).toBe(entry.seq);
      }
    }
  });

  it('altering any single field of sampled entries of the 1,000-entry log', () => {
    const paths = leafPaths(LONG[0] as object);
    for (const index of [0, 1, 499, 998, 999, ...seededIndices(10, 1000, 7)]) {
      const entry = LONG[index] as PublicLogEntry;
      for (const path of paths) {
        const original: unknown = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], entry);
        const entries = [...LONG];
        entries[index] = withField(entry, path, alteredValue(path, original));
        const result = verifyChain(entries);
        expect(result.ok ? 'ok' : result.firstBadSeq, `${path} of seq ${entry.seq}`).toBe(entry.seq);
      }
    }
  });

  it('names the kind of damage', () => {
    const at17 = (path: string, value: unknown): PublicLogEntry[] => {
      const entries = [...SHORT];
      entries[16] = withField(SHORT[16] as PublicLogEntry, path, value);
      return entries;
    };
    expectBadAt(verifyChain(at17('category', 'spam')), 17, /^hash does not match its content$/);
    expectBadAt(verifyChain(at17('prevHash', 'a'.repeat(64))), 17, /prevHash does not match the hash of entry 16/);
    expectBadAt(verifyChain(at17('seq', '17')), 17, /malformed entry: field seq/);
    expectBadAt(verifyChain(at17('until', 5)), 17, /field until must be a string or null/);
    expectBadAt(verifyChain(at17('time', '2026-01-01 10:00')), 17, /field time must be an ISO-8601/);
    expectBadAt(verifyChain(at17('resource.kind', 'hostname')), 17, /field resource\.kind must be one of/);
    expectBadAt(verifyChain(at17('legalBasis', null)), 17, /field legalBasis is not a JSON object/);
    const first = [...SHORT];
    first[0] = withField(SHORT[0] as PublicLogEntry, 'prevHash', '1'.repeat(64));
    expectBadAt(verifyChain(first), 1, /not the genesis hash/);
  });

  it('refuses fields the hash does not cover, and missing ones', () => {
    const extra = cloneEntries(SHORT);
    (extra[9] as unknown as Record<string, unknown>).comment = 'unverifiable';
    expectBadAt(verifyChain(extra), 10, /unexpected field comment/);
    const nestedExtra = cloneEntries(SHORT);
    (nestedExtra[9]?.decision as unknown as Record<string, unknown>).note = 'x';
    expectBadAt(verifyChain(nestedExtra), 10, /unexpected field decision\.note/);
    const missing = cloneEntries(SHORT);
    delete (missing[9] as Partial<PublicLogEntry>).until;
    expectBadAt(verifyChain(missing), 10, /missing field until/);
    expectBadAt(verifyChain([...SHORT.slice(0, 9), 'not an entry']), 10, /malformed entry/);
  });

  it('deleting an entry', () => {
    for (const index of [0, 1, 499, 998]) {
      expectBadAt(verifyChain(LONG.toSpliced(index, 1)), index + 1, /missing or out of order/);
    }
  });

  it('reordering entries', () => {
    for (const index of [0, 499, 998]) {
      const swapped = [...LONG];
      [swapped[index], swapped[index + 1]] = [LONG[index + 1] as PublicLogEntry, LONG[index] as PublicLogEntry];
      expectBadAt(verifyChain(swapped), index + 1);
    }
    expectBadAt(verifyChain([...LONG.slice(0, 10), LONG[3], ...LONG.slice(10)]), 11, /seq 4 appears again/);
  });

  it('inserting an entry', () => {
    // A copy of an existing entry put in a new place.
    expectBadAt(verifyChain(LONG.toSpliced(500, 0, LONG[500] as PublicLogEntry)), 502, /seq 501 appears again/);
    // A forged entry that links correctly to its predecessor: the genuine one that follows no longer fits.
    const forgedBody = { ...sampleBody(501), category: 'forged' };
    const forged = { ...forgedBody, prevHash: LONG[499]?.hash ?? '', hash: entryHash(LONG[499]?.hash ?? '', forgedBody) };
    expectBadAt(verifyChain(LONG.toSpliced(500, 0, forged)), 502, /seq 501 appears again/);
    // A forged entry without a valid link is caught where it stands.
    expectBadAt(verifyChain(LONG.toSpliced(500, 0, { ...forged, prevHash: GENESIS_HASH })), 501, /prevHash/);
  });

  it('time going backwards, even with every hash recomputed', () => {
    const bodies = LONG.map(({ prevHash: _p, hash: _h, ...body }) => body);
    bodies[300] = { ...bodies[300]!, time: '2025-12-31T23:59:59.999Z' };
    expectBadAt(verifyChain(chainOf(bodies)), 301, /earlier than the previous entry/);
  });

  it('a string without a canonical form (lone surrogate)', () => {
    const entries = [...SHORT];
    entries[4] = withField(SHORT[4] as PublicLogEntry, 'resource.display', 'x\ud800');
    expectBadAt(verifyChain(entries), 5, /cannot be canonicalised/);
  });

  it('stops at the first failure', () => {
    const verifier = new ChainVerifier();
    verifier.push(LONG[0]);
    expect(verifier.push(LONG[2])).toBe(false);
    expect(verifier.push(LONG[1])).toBe(false);
    expectBadAt(verifier.finish(), 2);
  });
});

describe('verifyChain with a signed checkpoint', () => {
  const key = generateSigningKey();
  const publicKey = publicKeyToBase64(key);
  const checkpointAt = (entries: readonly PublicLogEntry[], seq: number) =>
    signCheckpoint(key, { seq, hash: entries[seq - 1]?.hash ?? '', time: '2026-12-01T00:00:00.000Z' });

  it('accepts a valid checkpoint at the head or inside the log, with or without a pinned key', () => {
    for (const seq of [1, 600, 1000]) {
      const checkpoint = checkpointAt(LONG, seq);
      expect(verifyChain(LONG, { checkpoint })).toEqual({
        ok: true,
        count: 1000,
        head: { seq: 1000, hash: LONG[999]?.hash },
        checkpoint,
      });
      expect(verifyChain(LONG, { checkpoint, expectedPublicKey: publicKey }).ok).toBe(true);
    }
  });

  it('refuses a forged checkpoint signature', () => {
    const forger = generateSigningKey();
    const forged = { ...signCheckpoint(forger, { seq: 1000, hash: LONG[999]?.hash ?? '', time: '2026-12-01T00:00:00.000Z' }), publicKey };
    expect(verifyChain(LONG, { checkpoint: forged })).toMatchObject({
      ok: false,
      where: 'checkpoint',
      firstBadSeq: 1000,
      reason: 'checkpoint signature is not valid',
    });
  });

  it('refuses a checkpoint whose hash was altered after signing', () => {
    const tampered = { ...checkpointAt(LONG, 600), hash: LONG[600]?.hash ?? '' };
    expect(verifyChain(LONG, { checkpoint: tampered })).toMatchObject({ ok: false, where: 'checkpoint', firstBadSeq: 600 });
  });

  it('catches a consistently rewritten history that only the checkpoint can expose', () => {
    const rewritten = rehashedFrom(LONG.toSpliced(400, 0, { ...(LONG[400] as PublicLogEntry), category: 'inserted' }), 400);
    expect(verifyChain(rewritten).ok).toBe(true);
    expectBadAt(verifyChain(rewritten, { checkpoint: checkpointAt(LONG, 700) }), 700, /differs from the signed checkpoint/);
  });

  it('catches the rewriter re-signing with its own key only when the key is pinned', () => {
    const rewritten = rehashedFrom(LONG.toSpliced(10, 1), 10);
    const attacker = generateSigningKey();
    const resigned = signCheckpoint(attacker, { seq: 999, hash: rewritten[998]?.hash ?? '', time: '2026-12-01T00:00:00.000Z' });
    expect(verifyChain(rewritten, { checkpoint: resigned }).ok).toBe(true);
    expect(verifyChain(rewritten, { checkpoint: resigned, expectedPublicKey: publicKey })).toMatchObject({
      ok: false,
      where: 'checkpoint',
      reason: expect.stringMatching(/not by the pinned key/),
    });
  });

  it('catches a log cut short before the checkpoint', () => {
    expectBadAt(verifyChain(LONG.slice(0, 999), { checkpoint: checkpointAt(LONG, 1000) }), 1000, /log ends at seq 999/);
    expect(verifyChain(LONG.slice(0, 999)).ok).toBe(true);
  });

  it('refuses a pinned key when there is no checkpoint, and a pinned key that is not a key', () => {
    expect(verifyChain(LONG, { expectedPublicKey: publicKey })).toMatchObject({ ok: false, where: 'checkpoint', firstBadSeq: 0 });
    expect(() => verifyChain(LONG, { expectedPublicKey: 'abc' })).toThrow(TypeError);
  });
});

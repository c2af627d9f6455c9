import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import {
  consistencyPath, cosignatureVerifier, decodeEntryBundle, ed25519Cosigner, ed25519NoteSigner, ed25519NoteVerifier,
  ed25519VerifierKey, emptyTreeHash, encodeEntryBundle, formatAddCheckpoint, formatCheckpoint, inclusionPath, leafHash,
  nodeHash, nodesNeeded, openNote, parseAddCheckpoint, parseVerifierKey, NoteError, parseCheckpoint, parseTilePath, readerOf, signNote, tilePath,
  tileWidthAt, treeRoot, verifyConsistency, verifyInclusion, type NodeReader,
} from '../src/tlog/index.js';
import { seededRandom } from '../src/seeded-random.js';

/** MTH straight from RFC 9162 §2.1.1, over leaf hashes, as the reference the stored-node code must match. */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyTreeHash();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** Complete subtrees only, as the database stores them. */
function storedReader(leaves: Uint8Array[]): NodeReader {
  return (level, index) => {
    const size = 2 ** level;
    if ((index + 1) * size > leaves.length) throw new Error(`node ${level}/${index} is not complete`);
    return mth(leaves.slice(index * size, (index + 1) * size));
  };
}

const leaves = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

describe('Merkle proofs (RFC 9162 §2.1.3, §2.1.4) over stored complete subtrees', () => {
  it('the root from stored nodes equals MTH for every size', () => {
    for (let n = 1; n <= leaves.length; n++) expect(Buffer.from(treeRoot(storedReader(leaves.slice(0, n)), n))).toEqual(Buffer.from(mth(leaves.slice(0, n))));
  });

  it('every inclusion proof verifies, and fails for another leaf, size or root', () => {
    for (let n = 1; n <= 40; n++) {
      const read = storedReader(leaves.slice(0, n));
      const root = mth(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(read, m, n);
        expect(verifyInclusion(m, n, leaves[m]!, path, root)).toBe(true);
        expect(verifyInclusion(m, n, leaves[(m + 1) % 70]!, path, root)).toBe(false);
        if (n > 1) expect(verifyInclusion(m ^ 1, n, leaves[m]!, path, root)).toBe(false);
        expect(verifyInclusion(m, n, leaves[m]!, [...path, leaves[0]!], root)).toBe(false);
        if (path.length > 0) {
          const bad = path.map((h) => Buffer.from(h));
          bad[0]![0]! ^= 1;
          expect(verifyInclusion(m, n, leaves[m]!, bad, root)).toBe(false);
        }
      }
      expect(() => inclusionPath(read, n, n)).toThrow(RangeError);
    }
  });

  it('every consistency proof verifies, and a fork or rollback does not', () => {
    for (let n = 1; n <= 40; n++) {
      const read = storedReader(leaves.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const path = consistencyPath(read, m, n);
        const oldRoot = mth(leaves.slice(0, m));
        const newRoot = mth(leaves.slice(0, n));
        expect(verifyConsistency(m, n, oldRoot, newRoot, path)).toBe(true);
        if (m > 0) {
          const forked = [...leaves.slice(0, m - 1), leafHash(Buffer.from('forged'))];
          expect(verifyConsistency(m, n, mth(forked), newRoot, path)).toBe(false);
        }
        if (m < n && m > 0) expect(verifyConsistency(n, m, newRoot, oldRoot, path)).toBe(false);
      }
    }
  });

  it('a proof reads O(log n) stored nodes', () => {
    const n = 1_000_003;
    const needed = nodesNeeded((read) => inclusionPath(read, 123_456, n));
    expect(needed.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n)));
    const cons = nodesNeeded((read) => consistencyPath(read, 777_777, n));
    expect(cons.length).toBeLessThanOrEqual(3 * Math.ceil(Math.log2(n)));
    expect(() => readerOf(new Map())(0, 0)).toThrow(/not stored/);
  });
});

describe('tile paths (C2SP tlog-tiles)', () => {
  it('encodes the spec examples and round-trips', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 'entries', index: 5, width: 7 })).toBe('tile/entries/005.p/7');
    expect(parseTilePath('1/x001/234.p/200')).toEqual({ level: 1, index: 1234, width: 200 });
    expect(parseTilePath('0/000')).toEqual({ level: 0, index: 0, width: 256 });
    expect(parseTilePath('entries/x001/x234/067')).toEqual({ level: 'entries', index: 1234067, width: 256 });
  });

  it('refuses non-canonical spellings (fuzzed)', () => {
    for (const bad of ['0/1234', '0/x000/001', '0/001.p/256', '0/001.p/0', '0/001.p/07', '00/001', '9/001', 'entries/01', '0/x1/001', '', '0/001/']) {
      expect(parseTilePath(bad)).toBeNull();
    }
    const random = seededRandom(12);
    const alphabet = '0123456789x/.pentris';
    let parsedCount = 0;
    for (let i = 0; i < 20000; i++) {
      const text = Array.from({ length: Math.floor(random() * 20) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const parsed = parseTilePath(text);
      if (parsed) {
        parsedCount++;
        expect(tilePath(parsed)).toBe(`tile/${text}`);
      }
    }
    // Canonical paths are rare among random strings; generate them too.
    for (let i = 0; i < 2000; i++) {
      const tile = { level: random() < 0.2 ? ('entries' as const) : Math.floor(random() * 6), index: Math.floor(random() * 10 ** Math.floor(random() * 12)), width: random() < 0.5 ? 256 : 1 + Math.floor(random() * 255) };
      expect(parseTilePath(tilePath(tile).slice(5))).toEqual(tile);
      parsedCount++;
    }
    expect(parsedCount).toBeGreaterThan(2000);
  });

  it('knows how wide a tile is at a tree size', () => {
    expect(tileWidthAt(0, 0, 10)).toBe(10);
    expect(tileWidthAt(0, 0, 300)).toBe(256);
    expect(tileWidthAt(0, 1, 300)).toBe(44);
    expect(tileWidthAt(1, 0, 300)).toBe(1);
    expect(tileWidthAt(1, 0, 255)).toBe(0);
    expect(tileWidthAt('entries', 2, 300)).toBe(0);
  });
});

describe('entry bundles', () => {
  it('round-trip, and a truncated bundle is refused', () => {
    const bundle = encodeEntryBundle([Buffer.from('{"a":1}'), Buffer.from(''), Buffer.from('é')]);
    expect(decodeEntryBundle(bundle).map((e) => Buffer.from(e).toString())).toEqual(['{"a":1}', '', 'é']);
    for (let cut = 1; cut < bundle.length; cut++) {
      if (cut === 9 || cut === 11) continue; // entry boundaries
      expect(() => decodeEntryBundle(bundle.subarray(0, cut))).toThrow(/truncated/);
    }
  });
});

describe('signed notes, checkpoints and cosignatures', () => {
  const logKey = generateKeyPairSync('ed25519').privateKey;
  const origin = 'register.example/tlog';
  const text = formatCheckpoint({ origin, size: 5, root: mth(leaves.slice(0, 5)) });
  const note = signNote(text, [ed25519NoteSigner(origin, logKey)]);
  const verifier = ed25519NoteVerifier(ed25519VerifierKey(origin, logKey))!;

  it('signs and opens a checkpoint', () => {
    expect(note.startsWith(`${origin}\n5\n`)).toBe(true);
    expect(note).toMatch(/\n\n— register\.example\/tlog [A-Za-z0-9+/]+=*\n$/);
    const opened = openNote(note, [verifier]);
    expect(parseCheckpoint(opened.text)).toMatchObject({ origin, size: 5 });
  });

  it('refuses a wrong key and a tampered text', () => {
    const other = ed25519NoteVerifier(ed25519VerifierKey(origin, generateKeyPairSync('ed25519').privateKey))!;
    expect(() => openNote(note, [other])).toThrow(/no signature by a known key/);
    expect(() => openNote(note.replace('\n5\n', '\n6\n'), [verifier])).toThrow(/invalid signature/);
    expect(() => openNote('garbage', [verifier])).toThrow(/malformed/);
  });

  it('cosigns (type 0x04) and the witness line verifies as a note signature', () => {
    const cosigner = ed25519Cosigner('witness.example/w1', generateKeyPairSync('ed25519').privateKey);
    const line = cosigner.cosign(text, 1_700_000_000);
    const cosigned = `${note}${line}`;
    const opened = openNote(cosigned, [verifier, cosignatureVerifier(cosigner.verifierKey)!]);
    expect(opened.verified.map((s) => s.name)).toEqual([origin, 'witness.example/w1']);
    expect(cosigner.verifierKey.startsWith('witness.example/w1+')).toBe(true);
  });

  it('formats and parses an add-checkpoint body', () => {
    const proof = [leaves[0]!, leaves[1]!];
    const body = formatAddCheckpoint({ oldSize: 3, proof, checkpoint: note });
    const parsed = parseAddCheckpoint(body);
    expect(parsed.oldSize).toBe(3);
    expect(parsed.proof).toEqual(proof);
    expect(parsed.checkpoint).toBe(note);
    expect(() => parseAddCheckpoint('old 01\n\nx')).toThrow(/old/);
    expect(() => parseAddCheckpoint('old 1\nnothash\n\nx')).toThrow(/proof line 1/);
  });
});

describe('parsers under fuzzing (seeded)', () => {
  it('notes, checkpoints, keys, bundles and witness bodies: a verdict or a typed error, never a crash', () => {
    const logKey = generateKeyPairSync('ed25519').privateKey;
    const origin = 'fuzz.example/tlog';
    const text = formatCheckpoint({ origin, size: 9, root: leaves[0]! });
    const note = Buffer.from(signNote(text, [ed25519NoteSigner(origin, logKey)]));
    const verifier = ed25519NoteVerifier(ed25519VerifierKey(origin, logKey))!;
    const keyText = Buffer.from(ed25519VerifierKey(origin, logKey));
    const bundle = encodeEntryBundle([Buffer.from('{"a":1}'), Buffer.from('{"b":2}')]);
    const random = seededRandom(777);
    const mutate = (b: Buffer) => {
      const out = Buffer.from(random() < 0.3 ? b.subarray(0, Math.floor(random() * b.length)) : b);
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) if (out.length) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
      return out;
    };
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const n = mutate(note).toString('utf8');
      try {
        const opened = openNote(n, [verifier]);
        accepted++;
        parseCheckpoint(opened.text);
      } catch (error) {
        expect(error).toBeInstanceOf(NoteError);
      }
      expect(() => parseCheckpoint(mutate(Buffer.from(text)).toString('utf8'))).not.toThrow();
      expect(() => parseVerifierKey(mutate(keyText).toString('utf8'))).not.toThrow();
      try {
        decodeEntryBundle(mutate(bundle));
      } catch (error) {
        expect((error as Error).message).toMatch(/truncated/);
      }
      try {
        parseAddCheckpoint(mutate(Buffer.from(`old 3\n${leaves[0]!.toString('base64')}\n\n`)).toString('utf8'));
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
      }
    }
    expect(accepted).toBeLessThan(3000); // mutations were mostly caught
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type LogEntryBody } from '../src/public-log-types.js';
import { canonicalJson, entryHash } from '../src/public-log/index.js';

/** The worked example of CANONICAL-FORM.md; if this test changes, the document must too. */
const EXAMPLE_BODY: LogEntryBody = {
  seq: 1,
  time: '2026-11-24T10:00:00.000Z',
  op: 'add',
  reason: 'approved',
  mode: 'restrict',
  until: null,
  resource: {
    kind: 'domain',
    value: 'bad.kz',
    host: 'bad.kz',
    display: 'bad.kz',
    valueSha256: '95f92f24eb59faa541a427adca9550c790530aebd1f2736e9d3c03f91f0e8f55',
  },
  category: 'extremism',
  decision: { id: 'd-1', action: 'restrict', effectiveFrom: '2026-11-24T10:00:00.000Z' },
  legalBasis: {
    id: 'lb-1',
    kind: 'court_ruling',
    authority: 'Есіл аудандық соты',
    documentNumber: '2-123/2026',
    issuedAt: '2026-11-20',
  },
};
const EXAMPLE_CANONICAL =
  '{"category":"extremism","decision":{"action":"restrict","effectiveFrom":"2026-11-24T10:00:00.000Z","id":"d-1"},' +
  '"legalBasis":{"authority":"Есіл аудандық соты","documentNumber":"2-123/2026","id":"lb-1","issuedAt":"2026-11-20",' +
  '"kind":"court_ruling"},"mode":"restrict","op":"add","reason":"approved","resource":{"display":"bad.kz",' +
  '"host":"bad.kz","kind":"domain","value":"bad.kz",' +
  '"valueSha256":"95f92f24eb59faa541a427adca9550c790530aebd1f2736e9d3c03f91f0e8f55"},"seq":1,' +
  '"time":"2026-11-24T10:00:00.000Z","until":null}';
const EXAMPLE_HASH = 'f41171c2713e60efa7877d019f2ee9bd23daef6c22b0f508acee6494f7135686';

describe('entryHash', () => {
  it('matches the worked example of CANONICAL-FORM.md', () => {
    expect(createHash('sha256').update('bad.kz').digest('hex')).toBe(EXAMPLE_BODY.resource.valueSha256);
    expect(canonicalJson(EXAMPLE_BODY)).toBe(EXAMPLE_CANONICAL);
    expect(Buffer.byteLength(EXAMPLE_CANONICAL, 'utf8')).toBe(529);
    expect(entryHash(GENESIS_HASH, EXAMPLE_BODY)).toBe(EXAMPLE_HASH);
  });

  it('is SHA-256 over the raw prevHash bytes followed by the canonical JSON', () => {
    const prevHash = 'ab'.repeat(32);
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from(prevHash, 'hex'), Buffer.from(EXAMPLE_CANONICAL, 'utf8')]))
      .digest('hex');
    expect(entryHash(prevHash, EXAMPLE_BODY)).toBe(expected);
  });

  it('hashes only the body fields of a whole entry or a row with extra properties', () => {
    const entry = { ...EXAMPLE_BODY, prevHash: GENESIS_HASH, hash: EXAMPLE_HASH, dbId: 77 };
    const withExtraNested = { ...EXAMPLE_BODY, resource: { ...EXAMPLE_BODY.resource, internalNote: 'x' } };
    expect(entryHash(GENESIS_HASH, entry)).toBe(EXAMPLE_HASH);
    expect(entryHash(GENESIS_HASH, withExtraNested)).toBe(EXAMPLE_HASH);
  });

  it('depends on prevHash and on every field', () => {
    expect(entryHash('1'.repeat(64), EXAMPLE_BODY)).not.toBe(EXAMPLE_HASH);
    expect(entryHash(GENESIS_HASH, { ...EXAMPLE_BODY, until: '2027-01-01T00:00:00.000Z' })).not.toBe(EXAMPLE_HASH);
    expect(
      entryHash(GENESIS_HASH, { ...EXAMPLE_BODY, legalBasis: { ...EXAMPLE_BODY.legalBasis, issuedAt: '2026-11-21' } }),
    ).not.toBe(EXAMPLE_HASH);
  });

  it('refuses a prevHash that is not 64 lower-case hex digits', () => {
    for (const bad of ['', 'zz'.repeat(32), 'AB'.repeat(32), '0'.repeat(63), '0'.repeat(66)]) {
      expect(() => entryHash(bad, EXAMPLE_BODY)).toThrow(TypeError);
    }
  });
});

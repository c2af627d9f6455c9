import { NO_MATCH, buildMatcher, seededRandom, type FeedRule } from '@tizilim/shared';
import { describe, expect, it } from 'vitest';
import { restrictedInAnswer } from '../../src/dns/policy/restricted-in-answer.js';
import { readNameInto } from '../../src/dns/wire/read-name.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery } from '../helpers/wire.js';

const RULES: FeedRule[] = [
  { id: '1', kind: 'cidr', value: '10.0.0.0/8', mode: 'restrict', entry: 1 },
  { id: '2', kind: 'ip', value: '2001:db8::1', mode: 'restrict', entry: 2 },
  { id: '3', kind: 'domain_suffix', value: 'bad.kz', mode: 'restrict', entry: 3 },
];
const m = buildMatcher(RULES);
const up = new TestUpstream({
  'v4.test': { a: ['8.8.4.4', '10.1.2.3'] },
  'v6.test': { aaaa: ['2001:db8::1'] },
  'ok.test': { a: ['8.8.4.4'], aaaa: ['2001:db8::2'] },
  'chain.test': { cname: 'hop.test' },
  'hop.test': { cname: 'cdn.bad.kz' },
  'cdn.bad.kz': { a: ['1.1.1.1'] },
});
const answer = (name: string, type = 1): Buffer => up.answer(buildQuery(name, { type }), false)!;

describe('restrictedInAnswer (RFC 1035 4.1.3 records, RFC 8914 EDE 16)', () => {
  it('finds the rule an A or AAAA record falls in, and a CNAME target under a restricted name', () => {
    expect(m.entryOf(restrictedInAnswer(answer('v4.test'), m, Date.now()))).toBe(1);
    expect(m.entryOf(restrictedInAnswer(answer('v6.test', 28), m, Date.now()))).toBe(2);
    expect(m.entryOf(restrictedInAnswer(answer('chain.test'), m, Date.now()))).toBe(3);
    expect(restrictedInAnswer(answer('ok.test'), m, Date.now())).toBe(NO_MATCH);
    expect(restrictedInAnswer(answer('ok.test', 28), m, Date.now())).toBe(NO_MATCH);
  });

  it('never throws or reads past the message on damaged answers (seeded fuzz)', () => {
    const bases = [answer('v4.test'), answer('v6.test', 28), answer('chain.test'), answer('ok.test')];
    const rnd = seededRandom(1313);
    for (let n = 0; n < 20_000; n++) {
      const base = bases[n % bases.length]!;
      const b = Buffer.from(base.subarray(0, 1 + Math.floor(rnd() * base.length)));
      for (let k = Math.floor(rnd() * 4); k > 0; k--) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const h = restrictedInAnswer(b, m, Date.now());
      expect(h === NO_MATCH || (h >= 0 && h < 3)).toBe(true);
    }
  });
});

describe('readNameInto (RFC 1035 4.1.4 compression)', () => {
  const out = new Uint8Array(256);
  it('follows backward pointers and refuses loops and forward pointers', () => {
    const msg = Buffer.from([3, 0x61, 0x62, 0x63, 0, 1, 0x78, 0xc0, 0]);
    expect(readNameInto(msg, 5, out)).toBe(7);
    expect(Buffer.from(out.subarray(0, 7))).toEqual(Buffer.from([1, 0x78, 3, 0x61, 0x62, 0x63, 0]));
    expect(readNameInto(Buffer.from([0xc0, 0]), 0, out)).toBe(-1); // points at itself
    expect(readNameInto(Buffer.from([0xc0, 2, 0]), 0, out)).toBe(-1); // forward
    expect(readNameInto(Buffer.from([5, 0x61]), 0, out)).toBe(-1); // cut
  });
});

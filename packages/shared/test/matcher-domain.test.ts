import { describe, expect, it } from 'vitest';
import { MatcherBuilder, NO_MATCH, buildMatcher, type Matcher } from '../src/matcher/index.js';
import { described, rule, wire } from './matcher-test-support.js';

const rules = [
  rule('domain', 'example.com', 1),
  rule('domain_suffix', 'example.com', 2),
  rule('domain_suffix', 'ads.example.com', 3, { mode: 'suspend', until: '2031-05-01T00:00:00Z' }),
  rule('domain', 'exact.ads.example.com', 4),
  rule('domain', 'only-exact.org', 5),
  rule('domain_suffix', 'xn--80ak6aa92e.com', 6),
];

function entryOf(m: Matcher, h: number): number | null {
  return h === NO_MATCH ? null : m.entryOf(h);
}

describe('domain rules', () => {
  const m = buildMatcher(rules);
  const both = (name: string): [number | null, number | null] => [entryOf(m, m.matchHost(name)), entryOf(m, m.matchWireName(wire(name), 0))];

  it('matches exact names and everything under suffix apexes, most specific first', () => {
    expect(both('example.com')).toEqual([1, 1]);
    expect(both('www.example.com')).toEqual([2, 2]);
    expect(both('a.b.c.example.com')).toEqual([2, 2]);
    expect(both('ads.example.com')).toEqual([3, 3]);
    expect(both('x.ads.example.com')).toEqual([3, 3]);
    expect(both('exact.ads.example.com')).toEqual([4, 4]);
    expect(both('y.exact.ads.example.com')).toEqual([3, 3]);
    expect(both('only-exact.org')).toEqual([5, 5]);
    expect(both('www.only-exact.org')).toEqual([null, null]);
    expect(both('xn--80ak6aa92e.com')).toEqual([6, 6]);
  });

  it('does not match parents, siblings or look-alikes', () => {
    for (const name of ['com', 'org', 'ample.com', 'notexample.com', 'example.co', 'example.com.kz', 'ads.example.net', 'www.example.org']) {
      expect(both(name), name).toEqual([null, null]);
    }
  });

  it('ignores ASCII case and one trailing dot', () => {
    expect(both('EXAMPLE.COM')).toEqual([1, 1]);
    expect(both('Www.ExAmPlE.cOm')).toEqual([2, 2]);
    expect(entryOf(m, m.matchHost('example.com.'))).toBe(1);
    expect(entryOf(m, m.matchHost('X.ADS.EXAMPLE.COM.'))).toBe(3);
    expect(entryOf(m, m.matchHost('example.com..'))).toBe(null);
    expect(entryOf(m, m.matchHost('.'))).toBe(null);
    expect(entryOf(m, m.matchHost(''))).toBe(null);
  });

  it('treats non-ASCII characters as themselves, never folded onto ASCII', () => {
    // U+212A KELVIN SIGN lower-cases to "k" in Unicode; a host name must be an A-label.
    const k = buildMatcher([rule('domain', 'kz.example', 1)]);
    expect(k.matchHost('\u212Az.example')).toBe(NO_MATCH);
    expect(k.matchHost('KZ.example')).not.toBe(NO_MATCH);
  });

  it('handles empty labels in text names as names that exist under the suffix', () => {
    expect(entryOf(m, m.matchHost('a..example.com'))).toBe(2);
    expect(entryOf(m, m.matchHost('.example.com'))).toBe(2);
    expect(entryOf(m, m.matchHost('example..com'))).toBe(null);
  });

  it('reads wire names at an offset, inside a larger message', () => {
    const buf = wire('WWW.Example.COM', [0xab, 0xcd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(entryOf(m, m.matchWireName(buf, 12))).toBe(2);
    const root = Uint8Array.of(0);
    expect(m.matchWireName(root, 0)).toBe(NO_MATCH);
  });

  it('reads a Node Buffer (what a socket hands over) like any Uint8Array', () => {
    const buf = Buffer.concat([Buffer.alloc(12), Buffer.from(wire('X.Ads.Example.com'))]);
    expect(entryOf(m, m.matchWireName(buf, 12))).toBe(3);
  });

  it('answers quickly for absurd text hosts', () => {
    const huge = `${'a'.repeat(1 << 20)}.example.com`;
    const t0 = performance.now();
    expect(entryOf(m, m.matchHost(huge))).toBe(2);
    expect(entryOf(m, m.matchHost('a.'.repeat(1 << 18) + 'example.com'))).toBe(2);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('returns NO_MATCH for malformed wire names without throwing', () => {
    const good = wire('www.example.com');
    const cases: [string, Uint8Array, number][] = [
      ['empty buffer', new Uint8Array(0), 0],
      ['offset past the end', good, good.length],
      ['negative offset', good, -1],
      ['fractional offset', good, 0.5],
      ['NaN offset', good, Number.NaN],
      ['label runs past the buffer', good.subarray(0, 6), 0],
      ['no terminating zero', good.subarray(0, good.length - 1), 0],
      ['compression pointer first', Uint8Array.of(0xc0, 0x0c), 0],
      ['compression pointer after a label', Uint8Array.of(7, ...'example'.split('').map((c) => c.charCodeAt(0)), 0xc0, 0x0c), 0],
      ['extended label type 0x40', Uint8Array.of(0x41, 0x61, 3, 99, 111, 109, 0), 0],
      ['label longer than 63', Uint8Array.from([64, ...new Array<number>(64).fill(97), 3, 99, 111, 109, 0]), 0],
    ];
    for (const [what, buf, off] of cases) expect(m.matchWireName(buf, off), what).toBe(NO_MATCH);
  });

  it('enforces the 255-octet limit on wire names, even when a suffix rule would match', () => {
    const m2 = buildMatcher([rule('domain_suffix', 'com', 1)]);
    const labels = (n: number): string => Array.from({ length: n }, () => 'a'.repeat(63)).join('.');
    // 3 × 64 + 4 ("com") + 1 (root) = 197 octets: fine; 4 × 64 + 5 = 261: too long.
    expect(m2.matchWireName(wire(`${labels(3)}.com`), 0)).not.toBe(NO_MATCH);
    expect(m2.matchWireName(wire(`${labels(4)}.com`), 0)).toBe(NO_MATCH);
    // 3 × 64 + 58 (a 57-octet label) + 4 + 1 = 255 octets exactly; one more is too long.
    const at255 = wire(`${labels(3)}.${'b'.repeat(57)}.com`);
    expect(at255.length).toBe(255);
    expect(m2.matchWireName(at255, 0)).not.toBe(NO_MATCH);
    const at256 = wire(`${labels(3)}.${'b'.repeat(58)}.com`);
    expect(m2.matchWireName(at256, 0)).toBe(NO_MATCH);
  });

  it('does not treat a dot inside a wire label as a label boundary', () => {
    const m2 = buildMatcher([rule('domain_suffix', 'b.com', 1), rule('domain_suffix', 'com', 2)]);
    const buf = Uint8Array.of(3, 97, 46, 98, 3, 99, 111, 109, 0); // "a.b" "com"
    expect(entryOf(m2, m2.matchWireName(buf, 0))).toBe(2);
  });

  it('gives back the rule behind a handle', () => {
    const h = m.matchHost('x.ads.example.com');
    expect(m.ruleOf(h)).toEqual({ kind: 'domain_suffix', value: 'ads.example.com', mode: 'suspend', entry: 3, until: '2031-05-01T00:00:00Z' });
    expect(m.modeOf(h)).toBe('suspend');
    expect(m.untilOf(h)).toBe(Date.parse('2031-05-01T00:00:00Z'));
    const e = m.matchHost('example.com');
    expect(m.ruleOf(e)).toEqual({ kind: 'domain', value: 'example.com', mode: 'restrict', entry: 1 });
    expect(m.modeOf(e)).toBe('restrict');
    expect(m.untilOf(e)).toBe(0);
    expect(m.ruleCount).toBe(rules.length);
  });

  it('replaces a rule added again with the same kind and value', () => {
    const m2 = buildMatcher([rule('domain', 'a.example', 1), rule('domain_suffix', 'a.example', 2), rule('domain', 'A.Example.', 3, { mode: 'suspend' })]);
    expect(m2.ruleCount).toBe(2);
    const h = m2.matchHost('a.example');
    expect(m2.entryOf(h)).toBe(3);
    expect(m2.modeOf(h)).toBe('suspend');
    expect(m2.entryOf(m2.matchHost('b.a.example'))).toBe(2);
  });

  it('builds from a stream and refuses rules it cannot hold, staying usable', () => {
    const b = new MatcherBuilder({ expectedRules: 10 });
    b.add(rule('domain', 'ok.example', 1));
    for (const bad of ['', '.', 'a..b', 'ünïcode.example', 'has space.example', `${'x'.repeat(64)}.example`]) {
      expect(() => b.add(rule('domain', bad, 9)), bad).toThrow(TypeError);
    }
    expect(() => b.add({ ...rule('domain', 'x.example', 9), mode: 'block' as never })).toThrow(TypeError);
    expect(() => b.add({ ...rule('domain', 'x.example', 9), kind: 'regex' as never })).toThrow(TypeError);
    b.add(rule('domain_suffix', 'ok.example.', 2));
    const m2 = b.build();
    expect(m2.ruleCount).toBe(2);
    expect(m2.entryOf(m2.matchHost('ok.example'))).toBe(1);
    expect(m2.entryOf(m2.matchHost('x.ok.example'))).toBe(2);
    expect(() => b.add(rule('domain', 'late.example', 3))).toThrow();
  });

  it('compares labels of every length exactly, whichever byte differs', () => {
    // Labels are packed into words up to 11 bytes and spill into a pool beyond: probe each
    // length and a one-character change at each position, through text and wire.
    const labels = Array.from({ length: 63 }, (_, i) => Array.from({ length: i + 1 }, (_, j) => String.fromCharCode(97 + ((i + j) % 26))).join(''));
    const m2 = buildMatcher(labels.map((l, i) => rule('domain', `${l}.example`, i)));
    labels.forEach((l, i) => {
      expect(entryOf(m2, m2.matchHost(`${l.toUpperCase()}.example`))).toBe(i);
      expect(entryOf(m2, m2.matchWireName(wire(`${l.toUpperCase()}.example`), 0))).toBe(i);
      for (let j = 0; j < l.length; j++) {
        const changed = `${l.slice(0, j)}${l[j] === 'z' ? 'y' : 'z'}${l.slice(j + 1)}.example`;
        expect(m2.matchHost(changed), changed).toBe(NO_MATCH);
        expect(m2.matchWireName(wire(changed), 0), changed).toBe(NO_MATCH);
      }
      expect(m2.matchHost(`${l}x.example`)).toBe(NO_MATCH);
      if (l.length > 1) expect(m2.matchHost(`${l.slice(1)}.example`)).toBe(NO_MATCH);
    });
    // U+0161 has low byte 0x61 ("a"): it must not pass for "a" in any lane.
    expect(m2.matchHost('\u0161.example')).toBe(NO_MATCH);
    expect(m2.matchHost(`${labels[11]!.slice(0, 8)}\u0100${labels[11]!.slice(9)}.example`)).toBe(NO_MATCH);
  });

  it('answers NO_MATCH from an empty matcher', () => {
    const e = buildMatcher([]);
    expect(e.ruleCount).toBe(0);
    expect(e.matchHost('example.com')).toBe(NO_MATCH);
    expect(e.matchWireName(wire('example.com'), 0)).toBe(NO_MATCH);
    expect(e.matchIp(Uint8Array.of(1, 2, 3, 4))).toBe(NO_MATCH);
    expect(e.matchUrl('example.com', '/')).toBe(NO_MATCH);
  });

  it('keeps the answers of a large real rule set stable across a rebuild', () => {
    const names = Array.from({ length: 20000 }, (_, i) => `n${i}.example${i % 97}.net`);
    const big = buildMatcher(names.map((n, i) => rule(i % 10 === 0 ? 'domain_suffix' : 'domain', n, i)));
    for (let i = 0; i < names.length; i += 7) {
      expect(described(big, big.matchHost(names[i]!))?.entry).toBe(i);
      expect(described(big, big.matchWireName(wire(`q.${names[i]}`), 0))?.entry ?? null).toBe(i % 10 === 0 ? i : null);
    }
  });
});

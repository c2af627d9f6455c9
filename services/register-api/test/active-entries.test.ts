import { describe, expect, it } from 'vitest';
import { ActiveEntries, type OpenSpan } from '../src/domain/active-entries.js';
import { IpRuleIndex } from '../src/domain/ip-rule-index.js';

const T0 = Date.parse('2026-11-01T00:00:00.000Z');

function span(seq: number, over: Partial<OpenSpan> = {}): OpenSpan {
  const decision = Math.floor(seq / 100);
  return {
    seq, mode: 'restrict', startsAt: new Date(T0 + decision), endsAt: null, decisionId: `d${decision}`, category: decision % 2 ? 'gambling' : 'child_sexual_abuse',
    basisKind: 'court_ruling', authority: 'Court', documentNumber: `N-${decision % 3}`, issuedAt: '2026-10-01',
    kind: 'domain', value: `n${seq}.example.kz`, display: `n${seq}.example.kz`, host: `n${seq}.example.kz`, ...over,
  };
}

describe('ActiveEntries', () => {
  it('finds every open span after many closes (and the squeezes they cause), and none of the closed', () => {
    const e = new ActiveEntries();
    for (let seq = 1; seq <= 20_000; seq++) e.add(span(seq));
    for (let seq = 1; seq <= 20_000; seq++) if (seq % 3 !== 0) expect(e.remove(seq)).toBe(true);
    expect(e.remove(1)).toBe(false);
    for (let seq = 20_001; seq <= 20_100; seq++) e.add(span(seq));
    expect(e.size).toBe(Math.floor(20_000 / 3) + 100);
    for (let seq = 1; seq <= 20_100; seq++) expect(e.has(seq), String(seq)).toBe(seq % 3 === 0 || seq > 20_000);
    expect(e.decisionCount).toBe(202);
    expect(() => e.add(span(5))).toThrow(RangeError);
  });

  it('rebuilds what it was given, keeping aside what does not follow the usual rules', () => {
    const e = new ActiveEntries();
    const usual = span(101);
    const idn = span(102, { value: 'xn--e1afmkfd.kz', display: 'пример.kz', host: 'xn--e1afmkfd.kz' });
    const suspended = span(103, { mode: 'suspend', endsAt: new Date(T0 + 60_000) });
    const url = span(104, { kind: 'url', value: 'https://a.kz/p', display: 'https://a.kz/p', host: 'a.kz' });
    for (const s of [usual, idn, suspended, url]) e.add(s);
    expect(e.unusualCount).toBe(2);
    const now = T0 + 1000;
    const back = (s: OpenSpan) => e.row(s.seq, s.kind, s.value, s.kind === 'url' ? s.host : null, now);
    for (const s of [usual, idn, suspended, url]) {
      expect(back(s)).toEqual({
        add_seq: s.seq, kind: s.kind, value: s.value, display: s.display, host: s.host, category: s.category, closed_at: null, mode: s.mode,
        starts_at: s.startsAt, ends_at: s.endsAt, end_reason: null, decision_id: s.decisionId, basis_kind: s.basisKind, authority: s.authority,
        document_number: s.documentNumber, issued_at: s.issuedAt,
      });
    }
    expect(e.row(103, 'domain', suspended.value, null, T0 + 60_000)).toBeUndefined();
    expect(e.row(101, 'domain', usual.value, null, T0 - 1)).toBeUndefined();
    expect(e.row(999, 'domain', 'x.kz', null, now)).toBeNull();
  });
});

describe('IpRuleIndex', () => {
  it('finds every rule whose network contains the address, of its family only', () => {
    const ips = new IpRuleIndex();
    ips.set('cidr', '203.0.113.0/24', 1);
    ips.set('cidr', '203.0.0.0/16', 2);
    ips.set('ip', '203.0.113.7', 3);
    ips.set('cidr', '203.0.113.7/32', 4);
    ips.set('cidr', '2001:db8:77::/48', 5);
    const entries = (a: string) => ips.containing(a).map(([, , e]) => e).sort();
    expect(entries('203.0.113.7')).toEqual([1, 2, 3, 4]);
    expect(entries('203.0.113.8')).toEqual([1, 2]);
    expect(entries('203.1.0.1')).toEqual([]);
    expect(entries('2001:db8:77::1')).toEqual([5]);
    expect(entries('::ffff:203.0.113.7')).toEqual([]);
    expect(ips.delete('cidr', '203.0.113.0/24')).toBe(1);
    expect(ips.delete('cidr', '203.0.113.0/24')).toBe(-1);
    expect(entries('203.0.113.8')).toEqual([2]);
    expect(ips.set('ip', '203.0.113.7', 6)).toBe(3);
    expect(ips.containing('203.0.113.7').find(([k]) => k === 'ip')).toEqual(['ip', '203.0.113.7', 6]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  isRpzReservedName, rpzOriginWireLength, rpzOwnerFits, RpzCoverContext, rpzWildcardAt, rpzIpOwner, rpzOwnerRecord, rpzRecordsOf, rpzRuleKey, rpzRuleText, rpzWrittenRecords, rpzZoneHeader, type RpzRuleInput,
} from '../src/rpz/index.js';

describe('RPZ IP triggers (draft-vixie-dnsop-dns-rpz §4.2)', () => {
  it('writes prefixes reversed, IPv6 with zz for the longest zero run', () => {
    expect(rpzIpOwner('198.51.100.7')).toBe('32.7.100.51.198');
    expect(rpzIpOwner('203.0.113.0/24')).toBe('24.0.113.0.203');
    expect(rpzIpOwner('2001:db8::/32')).toBe('32.zz.db8.2001');
    expect(rpzIpOwner('2001:db8:0:0:1::7')).toBe('128.7.0.0.1.zz.db8.2001');
    expect(rpzIpOwner('not-an-ip')).toBeUndefined();
  });
});

describe('RPZ records of a rule: one list for the text export and zone transfers', () => {
  it('a name, a suffix (apex and wildcard), an IP trigger, each naming its entry', () => {
    expect(rpzRecordsOf({ kind: 'domain', value: 'bad.kz', mode: 'restrict', entry: 7 }))
      .toEqual([{ owner: 'bad.kz', action: 'nxdomain', entry: 7 }]);
    expect(rpzRecordsOf({ kind: 'domain_suffix', value: 'evil.kz', mode: 'suspend', entry: 8, until: '2030-01-01T00:00:00.000Z' }))
      .toEqual([{ owner: 'evil.kz', action: 'nxdomain', entry: 8 }, { owner: '*.evil.kz', action: 'nxdomain', entry: 8 }]);
    expect(rpzRecordsOf({ kind: 'cidr', value: '10.0.0.0/8', mode: 'restrict', entry: 9 }))
      .toEqual([{ owner: '8.0.0.0.10.rpz-ip', action: 'nxdomain', entry: 9 }]);
  });

  it('an exception is rpz-passthru; a URL has no records', () => {
    expect(rpzRecordsOf({ kind: 'domain', value: 'ok.evil.kz', mode: 'allow', entry: 10 }))
      .toEqual([{ owner: 'ok.evil.kz', action: 'passthru', entry: 10 }]);
    expect(rpzRecordsOf({ kind: 'url', value: 'https://x.kz/p', mode: 'restrict', entry: 11 })).toEqual([]);
  });

  it('text: header with serial = version, a comment per rule, CNAME targets', () => {
    expect(rpzZoneHeader('rpz.tizilim.', 42)).toMatch(/\n@ IN SOA localhost\. hostmaster\.tizilim\.invalid\. 42 /);
    expect(rpzRuleText({ kind: 'domain_suffix', value: 'evil.kz', mode: 'restrict', entry: 8 }))
      .toBe('; entry 8 restrict\nevil.kz CNAME .\n*.evil.kz CNAME .\n');
    expect(rpzRuleText({ kind: 'domain', value: 'ok.evil.kz', mode: 'allow', entry: 10 }))
      .toBe('; entry 10 allow\nok.evil.kz CNAME rpz-passthru.\n');
    expect(rpzRuleText({ kind: 'url', value: 'https://x.kz/p', mode: 'restrict', entry: 11 })).toMatch(/^; entry 11 url /);
  });
});

describe('RPZ precedence: one record per owner', () => {
  const rules = new Map<string, RpzRuleInput>();
  const put = (r: RpzRuleInput): void => { rules.set(rpzRuleKey(r), r); };
  const lookup = (k: string): RpzRuleInput | undefined => rules.get(k);
  put({ kind: 'domain_suffix', value: 'evil.kz', mode: 'restrict', entry: 1 });
  put({ kind: 'domain', value: 'evil.kz', mode: 'allow', entry: 2 });
  put({ kind: 'ip', value: '192.0.2.1', mode: 'restrict', entry: 3 });
  put({ kind: 'cidr', value: '192.0.2.1/32', mode: 'restrict', entry: 4 });

  it('the name rule writes the apex, the suffix keeps its wildcard', () => {
    expect(rpzWrittenRecords(rules.get('domain_suffix evil.kz')!, lookup)).toEqual([{ owner: '*.evil.kz', action: 'nxdomain', entry: 1 }]);
    expect(rpzWrittenRecords(rules.get('domain evil.kz')!, lookup)).toEqual([{ owner: 'evil.kz', action: 'passthru', entry: 2 }]);
    expect(rpzOwnerRecord(rules.get('domain_suffix evil.kz')!, 0, lookup)).toEqual({ owner: 'evil.kz', action: 'passthru', entry: 2 });
  });

  it('an IP rule beats a full-length CIDR on the same address', () => {
    expect(rpzWrittenRecords(rules.get('cidr 192.0.2.1/32')!, lookup)).toEqual([]);
    expect(rpzWrittenRecords(rules.get('ip 192.0.2.1')!, lookup)).toEqual([{ owner: '32.1.2.0.192.rpz-ip', action: 'nxdomain', entry: 3 }]);
  });
});

describe('names under an rpz- top label are never written (they would be triggers, not names)', () => {
  const rule = (kind: 'domain' | 'domain_suffix', value: string) => ({ kind, value, mode: 'restrict' as const, entry: 7 });
  it.each([
    ['domain', '0.0.0.0.127.rpz-client-ip'],
    ['domain', 'localhost.rpz-nsdname'],
    ['domain', '8.0.0.0.127.rpz-nsip'],
    ['domain', '32.9.100.51.198.rpz-ip'],
    ['domain_suffix', 'x.rpz-nsdname'],
  ] as const)('%s %s', (kind, value) => {
    expect(isRpzReservedName(value)).toBe(true);
    expect(rpzRecordsOf(rule(kind, value))).toEqual([]);
    expect(rpzRuleText(rule(kind, value))).toMatch(/cannot be written as RPZ/);
    const cover = new RpzCoverContext(new Map([['x.rpz-nsdname', 'restrict']]));
    expect(cover.coverBelow(`a.${value}`, true, 7)).toEqual([]);
    expect(rpzWildcardAt(value, (k) => (k === `domain_suffix ${value}` ? { mode: 'restrict', entry: 7 } : undefined), () => true)).toBeUndefined();
  });
  it('leaves real names alone', () => {
    expect(isRpzReservedName('rpz-ip.example.kz')).toBe(false);
    expect(rpzRecordsOf(rule('domain', 'rpz-ip.example.kz'))).toHaveLength(1);
  });
});

describe('a name too long to sit under the origin is left out of the text, as zone transfers leave it out', () => {
  const origin = rpzOriginWireLength('rpz.tizilim.');
  const long = `${'a'.repeat(60)}1.${'a'.repeat(60)}2.${'a'.repeat(60)}3.${'b'.repeat(55)}.example.kz`; // 252 characters
  it('measures the origin and the owner as the wire writer does', () => {
    expect(origin).toBe(13);
    expect(rpzOriginWireLength('.')).toBe(1);
    expect(rpzOwnerFits('a'.repeat(241), origin)).toBe(true); // 242 + 13 = 255
    expect(rpzOwnerFits('a'.repeat(242), origin)).toBe(false);
  });
  it('writes a comment instead of a record the master file could not load', () => {
    const text = rpzRuleText({ kind: 'domain', value: long, mode: 'restrict', entry: 9 }, undefined, undefined, origin);
    expect(text).toMatch(/^; entry 9 restrict\n; a{40}… is too long to be written under the origin\n$/);
    expect(rpzRuleText({ kind: 'domain', value: 'ok.example.kz', mode: 'restrict', entry: 9 }, undefined, undefined, origin))
      .toContain('ok.example.kz CNAME .');
  });
});

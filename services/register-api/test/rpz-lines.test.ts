import { describe, expect, it } from 'vitest';
import { RpzCoverContext, rpzIpOwner } from '@tizilim/shared';
import { rpzLines } from '../src/routes/feed/rpz-lines.js';

describe('RPZ IP triggers', () => {
  it('writes prefixes reversed, IPv6 with zz for the longest zero run', () => {
    expect(rpzIpOwner('198.51.100.7')).toBe('32.7.100.51.198');
    expect(rpzIpOwner('203.0.113.0/24')).toBe('24.0.113.0.203');
    expect(rpzIpOwner('2001:db8::/32')).toBe('32.zz.db8.2001');
    expect(rpzIpOwner('2001:db8:0:0:1::7')).toBe('128.7.0.0.1.zz.db8.2001');
  });
});

describe('RPZ name triggers with exceptions', () => {
  const row = (kind: 'domain' | 'domain_suffix', value: string, mode: 'restrict' | 'allow', extra: { shadowed?: boolean } = {}) =>
    ({ id: 'x', kind, value, mode, ends_at: null, add_seq: 7, ...extra });

  it('an exception passes through (rpz-passthru.), a restriction is NXDOMAIN (CNAME .)', () => {
    expect(rpzLines(row('domain', 'www.x.kz', 'allow'))).toContain('www.x.kz CNAME rpz-passthru.\n');
    expect(rpzLines(row('domain_suffix', 'x.kz', 'restrict'))).toContain('x.kz CNAME .\n*.x.kz CNAME .\n');
  });

  it('a suffix whose apex has an exact rule leaves the apex record to that rule, and keeps its wildcard', () => {
    const text = rpzLines(row('domain_suffix', 'apex.x.kz', 'allow', { shadowed: true }));
    expect(text).not.toMatch(/^apex\.x\.kz CNAME/m);
    expect(text).toContain('*.apex.x.kz CNAME rpz-passthru.\n');
  });

  it('a /32 or /128 whose address has an IP rule leaves the record to the IP rule', () => {
    const cidr = (value: string, shadowed: boolean) => rpzLines({ kind: 'cidr', value, mode: 'restrict', ends_at: null, add_seq: 8, shadowed });
    expect(cidr('198.51.100.7/32', true)).not.toMatch(/rpz-ip CNAME/);
    expect(cidr('198.51.100.7/32', false)).toContain('32.7.100.51.198.rpz-ip CNAME .\n');
    expect(cidr('2001:db8::7/128', true)).not.toMatch(/rpz-ip CNAME/);
  });

  it('keeps the wider wildcard in force below names that would hide it from a closest-encloser resolver', () => {
    const context = new RpzCoverContext(new Map([['x.kz', 'restrict'], ['open.x.kz', 'allow']]));
    // an exception on www.x.kz: a.www.x.kz is still the wildcard's
    expect(rpzLines(row('domain', 'www.x.kz', 'allow'), context)).toContain('*.www.x.kz CNAME .\n');
    // an exact rule two labels below the wildcard: both names between get it
    const deep = rpzLines(row('domain', 'a.b.x.kz', 'restrict'), context);
    expect(deep).toContain('*.b.x.kz CNAME .\n');
    expect(deep).toContain('*.a.b.x.kz CNAME .\n');
    // written once however many rules sit under a name
    expect(rpzLines(row('domain', 'c.b.x.kz', 'restrict'), context)).not.toContain('*.b.x.kz');
    // under a suffix exception, what is below passes through
    expect(rpzLines(row('domain', 'shut.open.x.kz', 'restrict'), context)).toContain('*.shut.open.x.kz CNAME rpz-passthru.\n');
    // a name with its own suffix rule writes its own wildcard
    expect(rpzLines(row('domain', 'open.x.kz', 'restrict'), context)).not.toContain('*.open.x.kz');
    // nothing above: nothing added
    expect(rpzLines(row('domain', 'alone.kz', 'restrict'), context)).toBe('; entry 7 restrict\nalone.kz CNAME .\n');
  });
});

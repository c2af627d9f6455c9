import { describe, expect, it } from 'vitest';
import { NO_MATCH, buildMatcher, parseIpText, type Matcher } from '../src/matcher/index.js';
import { rule } from './matcher-test-support.js';

function ip(text: string): Uint8Array {
  const b = parseIpText(text);
  if (!b) throw new Error(text);
  return b;
}

function entryOf(m: Matcher, h: number): number | null {
  return h === NO_MATCH ? null : m.entryOf(h);
}

describe('IP rules', () => {
  const m = buildMatcher([
    rule('cidr', '10.0.0.0/8', 1),
    rule('cidr', '10.1.0.0/16', 2),
    rule('cidr', '10.1.2.0/24', 3),
    rule('ip', '10.1.2.3', 4),
    rule('cidr', '10.1.2.3/32', 5),
    rule('cidr', '192.0.2.128/25', 6),
    rule('cidr', '2001:db8::/32', 7),
    rule('cidr', '2001:db8:1::/48', 8),
    rule('ip', '2001:db8:1::53', 9),
    rule('cidr', '2001:db8:1:0:8000::/65', 10),
    rule('cidr', '172.16.0.0/12', 11),
  ]);

  it('takes the longest IPv4 prefix', () => {
    expect(entryOf(m, m.matchIp(ip('10.200.0.1')))).toBe(1);
    expect(entryOf(m, m.matchIp(ip('10.1.200.1')))).toBe(2);
    expect(entryOf(m, m.matchIp(ip('10.1.2.200')))).toBe(3);
    expect(entryOf(m, m.matchIp(ip('192.0.2.128')))).toBe(6);
    expect(entryOf(m, m.matchIp(ip('192.0.2.255')))).toBe(6);
    expect(entryOf(m, m.matchIp(ip('192.0.2.127')))).toBe(null);
    expect(entryOf(m, m.matchIp(ip('172.31.255.255')))).toBe(11);
    expect(entryOf(m, m.matchIp(ip('172.32.0.0')))).toBe(null);
    expect(entryOf(m, m.matchIp(ip('11.0.0.1')))).toBe(null);
  });

  it('prefers an ip rule over a /32 cidr rule of the same address', () => {
    expect(entryOf(m, m.matchIp(ip('10.1.2.3')))).toBe(4);
  });

  it('takes the longest IPv6 prefix, including lengths that split a 32-bit word', () => {
    expect(entryOf(m, m.matchIp(ip('2001:db8:ffff::1')))).toBe(7);
    expect(entryOf(m, m.matchIp(ip('2001:db8:1::1')))).toBe(8);
    expect(entryOf(m, m.matchIp(ip('2001:db8:1::53')))).toBe(9);
    expect(entryOf(m, m.matchIp(ip('2001:db8:1:0:8000::1')))).toBe(10);
    expect(entryOf(m, m.matchIp(ip('2001:db8:1:0:7fff::1')))).toBe(8);
    expect(entryOf(m, m.matchIp(ip('2001:db9::1')))).toBe(null);
  });

  it('keeps the families apart and ignores other lengths', () => {
    const v4mapped = ip('::ffff:10.1.2.3');
    expect(m.matchIp(v4mapped)).toBe(NO_MATCH);
    expect(m.matchIp(new Uint8Array(5))).toBe(NO_MATCH);
    expect(m.matchIp(new Uint8Array(0))).toBe(NO_MATCH);
  });

  it('matches everything with /0', () => {
    const all = buildMatcher([rule('cidr', '0.0.0.0/0', 1), rule('cidr', '::/0', 2)]);
    expect(entryOf(all, all.matchIp(ip('203.0.113.9')))).toBe(1);
    expect(entryOf(all, all.matchIp(ip('2001:db8::1')))).toBe(2);
  });

  it('masks host bits and replaces a rule with the same prefix', () => {
    const r = buildMatcher([rule('cidr', '10.0.0.0/8', 1), rule('cidr', '10.0.0.0/8', 2, { mode: 'suspend' })]);
    expect(r.ruleCount).toBe(1);
    const h = r.matchIp(ip('10.9.9.9'));
    expect([r.entryOf(h), r.modeOf(h)]).toEqual([2, 'suspend']);
    expect(r.ruleOf(h)).toEqual({ kind: 'cidr', value: '10.0.0.0/8', mode: 'suspend', entry: 2 });
  });

  it('refuses malformed values', () => {
    for (const [kind, value] of [['ip', '10.0.0.256'], ['ip', '10.0.0.0/8'], ['cidr', '10.0.0.0'], ['cidr', '10.0.0.0/33'], ['cidr', '::/129'], ['cidr', '10.0.0.0/x'], ['ip', 'example.com']] as const) {
      expect(() => buildMatcher([rule(kind, value, 1)]), `${kind} ${value}`).toThrow(TypeError);
    }
  });
});

describe('URL rules', () => {
  const m = buildMatcher([
    rule('url', 'https://news.example.org/politics', 1),
    rule('url', 'https://news.example.org/politics/elections/', 2),
    rule('url', 'https://news.example.org/search?q=banned', 3),
    rule('url', 'http://blog.example.net/', 4),
    rule('domain_suffix', 'example.org', 5),
    rule('domain', 'plain.example.net', 6),
  ]);
  const at = (host: string, path: string): number | null => entryOf(m, m.matchUrl(host, path));

  it('matches a path prefix only at a segment boundary, or exactly', () => {
    expect(at('news.example.org', '/politics')).toBe(1);
    expect(at('news.example.org', '/politics/')).toBe(1);
    expect(at('news.example.org', '/politics/today')).toBe(1);
    expect(at('news.example.org', '/politics?page=2')).toBe(1);
    expect(at('news.example.org', '/politics#top')).toBe(1);
    expect(at('news.example.org', '/politicsandmore')).toBe(5);
  });

  it('prefers the longest covering path', () => {
    expect(at('news.example.org', '/politics/elections/2024')).toBe(2);
    // A trailing slash is not part of the canonical form (canonical-url.ts): origins redirect
    // one spelling to the other, so the rule on /politics/elections/ covers both.
    expect(at('news.example.org', '/politics/elections')).toBe(2);
    expect(at('news.example.org', '/politics/electionsx')).toBe(1);
  });

  it('compares the query as part of the path', () => {
    expect(at('news.example.org', '/search?q=banned')).toBe(3);
    expect(at('news.example.org', '/search?q=bannedx')).toBe(5);
    expect(at('news.example.org', '/search?q=other')).toBe(5);
  });

  it('covers a whole host with a root path; ignores case and a trailing dot in the host', () => {
    expect(at('blog.example.net', '/anything/at/all')).toBe(4);
    expect(at('BLOG.Example.NET.', '/')).toBe(4);
    expect(at('other.example.net', '/')).toBe(null);
  });

  it('falls back to host rules', () => {
    expect(at('www.example.org', '/politics')).toBe(5);
    expect(at('plain.example.net', '/x')).toBe(6);
    expect(at('PLAIN.example.net.', '/x')).toBe(6);
    const hostsOnly = buildMatcher([rule('domain', 'a.example', 1)]);
    expect(entryOf(hostsOnly, hostsOnly.matchUrl('A.example', '/x'))).toBe(1);
  });

  it('gives back the rule as written', () => {
    expect(m.ruleOf(m.matchUrl('news.example.org', '/politics/x'))).toEqual({ kind: 'url', value: 'https://news.example.org/politics', mode: 'restrict', entry: 1 });
  });

  it('refuses a value that is not an absolute URL', () => {
    expect(() => buildMatcher([rule('url', 'news.example.org/politics', 1)])).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { NO_MATCH, ReferenceMatcher, applyChanges, buildMatcher, type Matcher } from '../src/matcher/index.js';
import { rule, wire } from './matcher-test-support.js';

/**
 * Exceptions (DESIGN.md, "Every rule kind, every transport": exceptions): an `allow` rule is
 * a rule like any other to the lookups, so the most specific rule covering a name decides. An
 * exception on `www.x` leaves `a.www.x` to the wider rule; a suffix exception reopens its subtree.
 */
const rules = [
  rule('domain_suffix', 'betzone.com', 1),
  rule('domain', 'www.betzone.com', 2, { mode: 'allow' }),
  rule('domain_suffix', 'open.betzone.com', 3, { mode: 'allow' }),
  rule('domain_suffix', 'shut.open.betzone.com', 4),
  rule('domain', 'news.kz', 5),
  rule('url', 'http://news.kz/court-ordered', 6, { mode: 'allow' }),
  rule('url', 'http://pages.kz/bad', 7),
  rule('url', 'http://pages.kz/bad/reviewed', 8, { mode: 'allow' }),
];

/** [entry, mode] of the deciding rule, or null. */
function decided(m: Matcher, h: number): [number, string] | null {
  return h === NO_MATCH ? null : [m.entryOf(h), m.modeOf(h)];
}

describe.each([
  ['compiled', () => buildMatcher(rules)],
  ['reference', () => new ReferenceMatcher(rules)],
  ['overlay', () => applyChanges(buildMatcher(rules.slice(0, 1)), rules.slice(1).map((r) => ({ op: 'add' as const, rule: r })))],
])('exceptions in the %s matcher', (_name, make) => {
  const m = make();
  const host = (name: string) => {
    const text = decided(m, m.matchHost(name));
    expect(decided(m, m.matchWireName(wire(name), 0)), name).toEqual(text);
    return text;
  };

  it('an exact exception beats the wildcard above it, and only for that name', () => {
    expect(host('www.betzone.com')).toEqual([2, 'allow']);
    expect(host('a.www.betzone.com')).toEqual([1, 'restrict']);
    expect(host('betzone.com')).toEqual([1, 'restrict']);
    expect(host('mail.betzone.com')).toEqual([1, 'restrict']);
  });

  it('a suffix exception reopens its subtree; a narrower restriction under it closes again', () => {
    expect(host('open.betzone.com')).toEqual([3, 'allow']);
    expect(host('x.y.open.betzone.com')).toEqual([3, 'allow']);
    expect(host('shut.open.betzone.com')).toEqual([4, 'restrict']);
    expect(host('z.shut.open.betzone.com')).toEqual([4, 'restrict']);
  });

  it('a URL exception beats the host rule and a wider URL rule, for its path only', () => {
    expect(decided(m, m.matchUrl('news.kz', '/court-ordered'))).toEqual([6, 'allow']);
    expect(decided(m, m.matchUrl('news.kz', '/court-ordered/more'))).toEqual([6, 'allow']);
    expect(decided(m, m.matchUrl('news.kz', '/other'))).toEqual([5, 'restrict']);
    expect(decided(m, m.matchUrl('pages.kz', '/bad/reviewed'))).toEqual([8, 'allow']);
    expect(decided(m, m.matchUrl('pages.kz', '/bad/other'))).toEqual([7, 'restrict']);
    // The host alone (DNS, SNI) still sees the host rule: HTTPS hides the path.
    expect(host('news.kz')).toEqual([5, 'restrict']);
  });

  it('keeps the mode through ruleOf', () => {
    expect(m.ruleOf(m.matchHost('www.betzone.com'))).toMatchObject({ kind: 'domain', value: 'www.betzone.com', mode: 'allow', entry: 2 });
  });
});

describe('exceptions under updates', () => {
  it('removing the exception lets the wider rule decide again; removing the wider rule leaves the exception harmless', () => {
    const base = buildMatcher(rules);
    const without = applyChanges(base, [{ op: 'remove', rule: rules[1]! }]);
    expect(decided(without, without.matchHost('www.betzone.com'))).toEqual([1, 'restrict']);
    const noWildcard = applyChanges(base, [{ op: 'remove', rule: rules[0]! }]);
    expect(decided(noWildcard, noWildcard.matchHost('www.betzone.com'))).toEqual([2, 'allow']);
    expect(noWildcard.matchHost('mail.betzone.com')).toBe(NO_MATCH);
  });

  it('a restriction of the same name replaces its exception', () => {
    const m = applyChanges(buildMatcher(rules), [{ op: 'add', rule: rule('domain', 'www.betzone.com', 9) }]);
    expect(decided(m, m.matchHost('www.betzone.com'))).toEqual([9, 'restrict']);
  });

  it('refuses an unknown mode', () => {
    expect(() => buildMatcher([rule('domain', 'x.kz', 1, { mode: 'permit' as never })])).toThrow(/unknown mode/);
  });
});

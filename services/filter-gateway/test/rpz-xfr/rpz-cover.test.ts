import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RpzCoverContext, rpzRuleKey, rpzRuleText, type FeedRule, type RuleMode } from '@tizilim/shared';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import { FakeRules, ZONE, startXfr } from './xfr-fixtures.js';

/**
 * Cover wildcards (packages/shared/src/rpz/rpz-cover.ts) in zone transfers: AXFR writes the
 * same records as the HTTP export `/v1/feed/rpz`, and IXFR falls back to the whole zone when
 * a batch moves them (RFC 1995 §4), staying an exact difference otherwise. Read with `dig`.
 */
const run = promisify(execFile);
const rule = (kind: FeedRule['kind'], value: string, mode: RuleMode = 'restrict', entry = 1): FeedRule => ({ id: `${kind}:${value}`, kind, value, mode, entry });

/** Wildcards, exceptions under them, nested names, apex collisions, and rules no suffix covers. */
const RULES: FeedRule[] = [
  rule('domain_suffix', 'x.kz', 'restrict', 1),
  rule('domain', 'www.x.kz', 'allow', 2), // exception under a wildcard: a.www.x.kz stays blocked
  rule('domain', 'a.b.c.x.kz', 'restrict', 3), // nested: *.c, *.b.c, *.a.b.c
  rule('domain', 'd.b.c.x.kz', 'allow', 4), // shares *.c and *.b.c with the rule above
  rule('domain_suffix', 'open.x.kz', 'allow', 5), // suffix exception under a suffix
  rule('domain', 'open.x.kz', 'restrict', 6), // apex collision: the exact rule writes the apex
  rule('domain', 'shut.open.x.kz', 'restrict', 7), // under the nearer suffix: covered by passthru
  rule('domain', 'x.kz', 'allow', 8), // apex collision with the outer suffix
  rule('domain_suffix', 'deep.c.x.kz', 'suspend', 9), // a suffix between a name and the outer suffix
  rule('domain', 'n.deep.c.x.kz', 'allow', 10),
  rule('domain', 'plain.kz', 'restrict', 11),
  rule('cidr', '198.51.100.0/24', 'restrict', 12),
  rule('url', 'https://paths.kz/p', 'restrict', 13),
];

/** The HTTP export's records for a rule set, as `rpz-lines.ts` writes them: `owner target`. */
function httpRecords(rules: readonly FeedRule[]): string[] {
  const byKey = new Map(rules.map((r) => [rpzRuleKey(r), r]));
  const suffixes = new Map<string, RuleMode>();
  for (const r of rules) if (r.kind === 'domain_suffix') suffixes.set(r.value, r.mode);
  const cover = new RpzCoverContext(suffixes);
  const text = rules.map((r) => rpzRuleText(r, (k) => byKey.has(k), cover)).join('');
  return text.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.replace(' CNAME ', ' '));
}

async function dig(port: number, qtype: string): Promise<{ lines: string[]; out: string }> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ZONE, qtype]);
  const lines = stdout.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.replace(/\s+/g, ' ').trim());
  return { lines, out: stdout };
}

/** The policy records of a transfer, relative to the origin: `owner target`. */
const policy = (lines: string[]): string[] => lines.filter((l) => l.split(' ')[3] === 'CNAME')
  .map((l) => { const [owner = '', , , , target = ''] = l.split(' '); return `${owner.slice(0, -(ZONE.length + 1))} ${target}`; });
const types = (lines: string[]): string[] => lines.map((l) => l.split(' ')[3]!);

describe('RPZ cover wildcards in zone transfers', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => { await close?.(); close = undefined; });

  it('AXFR writes the same records as the HTTP export, one CNAME per owner', async () => {
    const src = new FakeRules();
    src.load(RULES, 20);
    const xfr = await startXfr(src);
    close = xfr.close;
    const axfr = policy((await dig(xfr.port, 'AXFR')).lines);
    const http = httpRecords(RULES);
    expect(new Set(axfr).size).toBe(axfr.length);
    expect(new Set(axfr.map((r) => r.split(' ')[0])).size).toBe(axfr.length);
    expect([...axfr].sort()).toEqual([...http].sort());
    // What the set must hold, spelled out so a change to the shared code cannot pass silently.
    expect(axfr).toEqual(expect.arrayContaining([
      '*.www.x.kz .', 'www.x.kz rpz-passthru.',
      '*.c.x.kz .', '*.b.c.x.kz .', '*.a.b.c.x.kz .', '*.d.b.c.x.kz .',
      '*.shut.open.x.kz rpz-passthru.', 'open.x.kz .', '*.open.x.kz rpz-passthru.',
      'x.kz rpz-passthru.', '*.x.kz .', '*.deep.c.x.kz .', '*.n.deep.c.x.kz .',
    ]));
    // No suffix above: no cover. The cidr is not a name; the URL is not in DNS at all.
    expect(axfr.filter((r) => r.startsWith('*.plain.kz') || r.includes('rpz-ip ') && r.startsWith('*.') || r.includes('paths'))).toEqual([]);
    expect(axfr).toHaveLength(http.length);
  });

  it('IXFR after a change under a suffix is the whole zone; a change to an unrelated name stays a diff', async () => {
    const src = new FakeRules();
    src.load(RULES, 20);
    const xfr = await startXfr(src);
    close = xfr.close;

    src.change([rule('domain', 'new.kz', 'restrict', 30)], [], 21);
    const diff = (await dig(xfr.port, 'IXFR=20')).lines;
    expect(types(diff)).toEqual(['SOA', 'SOA', 'SOA', 'CNAME', 'SOA']);
    expect(policy(diff)).toEqual(['new.kz .']);

    // An exception under x.kz moves cover wildcards: the journal starts again at 22.
    src.change([rule('domain', 'm.www.x.kz', 'allow', 31)], [], 22);
    for (const from of [20, 21]) {
      const full = (await dig(xfr.port, `IXFR=${from}`)).lines;
      expect(full.filter((l) => l.split(' ')[3] === 'NS')).toHaveLength(1);
      expect(policy(full).sort()).toEqual(httpRecords([...src.rules.values()]).sort());
      expect(policy(full)).toContain('*.m.www.x.kz .');
    }
    expect(xfr.zone.journal.since(21)).toBeUndefined();

    // After it, unrelated changes are diffs again, from the version the journal restarted at.
    src.change([], ['domain new.kz'], 23);
    const undo = (await dig(xfr.port, 'IXFR=22')).lines;
    expect(types(undo)).toEqual(['SOA', 'SOA', 'CNAME', 'SOA', 'SOA']);
    expect(policy(undo)).toEqual(['new.kz .']);
  });

  it('the journal falls back for suffix rules and for names under one, at any depth, removed or added', () => {
    const src = new FakeRules();
    src.load(RULES, 1);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 1000 });
    const fallsBack = (add: FeedRule[], remove: string[]): boolean => {
      const to = src.version + 1;
      src.change([rule('domain', `probe${to}.kz`)], [], to); // a plain diff first: the journal is not empty
      expect(zone.journal.since(to - 1)).toHaveLength(1);
      src.change(add, remove, to + 1);
      return zone.journal.since(to) === undefined;
    };
    expect(fallsBack([rule('domain_suffix', 'new-suffix.kz')], [])).toBe(true);
    expect(fallsBack([], ['domain_suffix new-suffix.kz'])).toBe(true);
    expect(fallsBack([rule('domain_suffix', 'open.x.kz', 'restrict')], [])).toBe(true); // mode change
    expect(fallsBack([rule('domain', 'q.r.s.x.kz')], [])).toBe(true);
    expect(fallsBack([], ['domain www.x.kz'])).toBe(true);
    expect(fallsBack([], ['domain x.kz'])).toBe(false); // the apex has no suffix above it: exact diff
    expect(fallsBack([rule('domain', 'x.kz.other')], [])).toBe(false);
    expect(fallsBack([rule('cidr', '203.0.113.0/24')], [])).toBe(false);
    zone.close();
  });
});

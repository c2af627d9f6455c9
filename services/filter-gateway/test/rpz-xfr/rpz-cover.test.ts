import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RpzCoverContext, rpzRuleKey, rpzRuleText, type FeedRule, type RuleMode } from '@tizilim/shared';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import { FakeRules, ZONE, startXfr } from './xfr-fixtures.js';

/**
 * Cover wildcards (packages/shared/src/rpz/rpz-cover.ts) in zone transfers: AXFR writes the
 * same records as the HTTP export `/v1/feed/rpz`, and IXFR carries exactly the wildcards a
 * batch moves (ixfr-exact.test.ts checks that over random rule sets). Read with `dig`.
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

  it('IXFR after a change under a suffix is the difference, wildcards included, read by dig', async () => {
    const src = new FakeRules();
    src.load(RULES, 20);
    const xfr = await startXfr(src);
    close = xfr.close;

    src.change([rule('domain', 'new.kz', 'restrict', 30)], [], 21);
    const diff = (await dig(xfr.port, 'IXFR=20')).lines;
    expect(types(diff)).toEqual(['SOA', 'SOA', 'SOA', 'CNAME', 'SOA']);
    expect(policy(diff)).toEqual(['new.kz .']);

    // An exception under www.x.kz (itself an exception under x.kz): its name passes, and the
    // suffix's block is kept below it by its own cover wildcard. Nothing else moves.
    src.change([rule('domain', 'm.www.x.kz', 'allow', 31)], [], 22);
    const under = (await dig(xfr.port, 'IXFR=21')).lines;
    expect(types(under)).toEqual(['SOA', 'SOA', 'SOA', 'CNAME', 'CNAME', 'SOA']);
    expect(policy(under).sort()).toEqual(['*.m.www.x.kz .', 'm.www.x.kz rpz-passthru.']);
    expect(under.filter((l) => l.split(' ')[3] === 'NS')).toHaveLength(0);

    // A suffix rule between x.kz and names under it changes the action of their covers.
    src.change([rule('domain_suffix', 'c.x.kz', 'allow', 32)], [], 23);
    const suffix = (await dig(xfr.port, 'IXFR=22')).lines;
    // Every cover below c.x.kz now takes c.x.kz's action (allow) instead of x.kz's: each is
    // deleted and added again; *.c.x.kz becomes the suffix's own wildcard.
    expect(policy(suffix).sort()).toEqual([
      '*.a.b.c.x.kz .', '*.a.b.c.x.kz rpz-passthru.', '*.b.c.x.kz .', '*.b.c.x.kz rpz-passthru.',
      '*.c.x.kz .', '*.c.x.kz rpz-passthru.', '*.d.b.c.x.kz .', '*.d.b.c.x.kz rpz-passthru.', 'c.x.kz rpz-passthru.',
    ]);

    // Every step together, from 20, lands exactly on the AXFR of 23.
    const all = (await dig(xfr.port, 'IXFR=20')).lines;
    expect(all.filter((l) => l.split(' ')[3] === 'NS')).toHaveLength(0);
    const zone = new Map(httpRecords(RULES).map((r) => [r.split(' ')[0]!, r]));
    let adding = false;
    let soas = 0;
    for (const l of all) {
      const type = l.split(' ')[3];
      if (type === 'SOA') { soas++; if (soas > 1) adding = soas % 2 === 1; continue; }
      const [rec] = policy([l]);
      const owner = rec!.split(' ')[0]!;
      if (adding) { expect(zone.has(owner)).toBe(false); zone.set(owner, rec!); } else { expect(zone.get(owner)).toBe(rec); zone.delete(owner); }
    }
    const axfr = policy((await dig(xfr.port, 'AXFR')).lines);
    expect([...zone.values()].sort()).toEqual([...axfr].sort());
    expect([...axfr].sort()).toEqual(httpRecords([...src.rules.values()]).sort());
  });

  it('the journal keeps exact steps for suffix rules and names under one, at any depth, removed or added', () => {
    const src = new FakeRules();
    src.load(RULES, 1);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 1000 });
    const keepsStep = (add: FeedRule[], remove: string[]): boolean => {
      const to = src.version + 1;
      src.change(add, remove, to);
      return zone.journal.since(to - 1)?.length === 1;
    };
    expect(keepsStep([rule('domain_suffix', 'new-suffix.kz')], [])).toBe(true);
    expect(keepsStep([], ['domain_suffix new-suffix.kz'])).toBe(true);
    expect(keepsStep([rule('domain_suffix', 'open.x.kz', 'restrict')], [])).toBe(true); // mode change
    expect(keepsStep([rule('domain', 'q.r.s.x.kz')], [])).toBe(true);
    expect(keepsStep([], ['domain www.x.kz'])).toBe(true);
    expect(keepsStep([], ['domain x.kz'])).toBe(true);
    expect(keepsStep([rule('cidr', '203.0.113.0/24')], [])).toBe(true);
    expect(zone.journal.since(1)).toHaveLength(7);
    zone.close();
  });
});

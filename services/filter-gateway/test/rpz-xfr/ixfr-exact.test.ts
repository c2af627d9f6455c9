import { describe, expect, it } from 'vitest';
import { seededRandom, type FeedRule, type ResourceKind, type RuleMode } from '@tizilim/shared';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import type { JournalStep } from '../../src/rpz-xfr/zone-journal.js';
import { FakeRules, ZONE } from './xfr-fixtures.js';

/**
 * IXFR is exact (RFC 1995 §4): for random rule sets and random batches of changes (suffix
 * rules, names and suffixes under them, exceptions, apex collisions, an IP and its /32),
 * applying the journal's steps to the zone of the old serial gives exactly the zone an AXFR
 * of the new serial writes, record for record. Every deletion must find its record, every
 * addition an empty owner (one CNAME per owner).
 */

const LABELS = ['a', 'b', 'www', 'x'];
const MODES: RuleMode[] = ['restrict', 'suspend', 'allow'];
const IPS = ['192.0.2.1', '192.0.2.2', '2001:db8::1'];

/** A random rule over a small universe, so suffixes, names under them and collisions meet often. */
function randomRule(rnd: () => number, entry: number): FeedRule {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const mode = pick(MODES);
  const roll = rnd();
  let kind: ResourceKind;
  let value: string;
  if (roll < 0.85) {
    kind = rnd() < 0.4 ? 'domain_suffix' : 'domain';
    const depth = 1 + Math.floor(rnd() * 4);
    const labels: string[] = [];
    for (let i = 0; i < depth; i++) labels.push(pick(LABELS));
    value = `${labels.join('.')}.kz`;
  } else if (roll < 0.93) {
    kind = 'ip';
    value = pick(IPS);
  } else {
    kind = 'cidr';
    const ip = pick(IPS);
    value = `${ip}/${ip.includes(':') ? pick(['128', '64']) : pick(['32', '24'])}`;
  }
  return { id: `${kind}:${value}`, kind, value, mode, entry };
}

/** The zone an AXFR of the current serial writes: owner → action, each owner once. */
function axfrRecords(zone: RpzZone): Map<string, string> {
  const view = zone.openView()!;
  const cover = view.coverContext();
  const out = new Map<string, string>();
  try {
    for (let i = 0; i < view.rules.length; i++) {
      for (const r of view.recordsAt(i, cover)) {
        if (out.has(r.owner)) expect.fail(`two records at ${r.owner}`);
        out.set(r.owner, r.action);
      }
    }
  } finally {
    zone.closeView(view);
  }
  return out;
}

/**
 * What a secondary does with IXFR steps: deletions must match, additions must land on empty
 * owners. Wrong moves are returned as text (checked once per case: expect() per record is slow).
 */
function applySteps(zone: Map<string, string>, steps: readonly JournalStep[]): { zone: Map<string, string>; wrong: string[] } {
  const out = new Map(zone);
  const wrong: string[] = [];
  for (const s of steps) {
    for (const r of s.deleted) {
      if (out.get(r.owner) !== r.action) wrong.push(`step ${s.from}→${s.to} deletes ${r.owner} ${r.action}, which is not there`);
      out.delete(r.owner);
    }
    for (const r of s.added) {
      if (out.has(r.owner)) wrong.push(`step ${s.from}→${s.to} adds ${r.owner} over a record`);
      out.set(r.owner, r.action);
    }
  }
  return { zone: out, wrong };
}

const sorted = (m: Map<string, string>): string[] => [...m].map(([o, a]) => `${o} ${a}`).sort();
const same = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([o, x]) => b.get(o) === x);

describe('IXFR steps are the exact difference between zones', () => {
  it('over many seeds, random rule sets and random batches', () => {
    let steps = 0;
    let withWildcards = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const rnd = seededRandom(seed);
      const src = new FakeRules();
      let entry = 1;
      const initial: FeedRule[] = [];
      for (let i = Math.floor(rnd() * 25); i > 0; i--) initial.push(randomRule(rnd, entry++));
      src.load(initial, 100);
      const zone = new RpzZone(ZONE, src, { maxSteps: 1000, maxRecords: 100_000 });
      const history = [{ serial: 100, records: axfrRecords(zone) }];
      for (let b = 0; b < 12; b++) {
        const add: FeedRule[] = [];
        const remove: string[] = [];
        // Mostly a few rules; now and then a bulk batch (more than eight suffixes takes the
        // zone's other way of finding the names under them).
        for (let i = rnd() < 0.15 ? 12 + Math.floor(rnd() * 30) : 1 + Math.floor(rnd() * 4); i > 0; i--) {
          const keys = [...src.rules.keys()];
          if (keys.length > 0 && rnd() < 0.4) remove.push(keys[Math.floor(rnd() * keys.length)]!);
          else add.push(randomRule(rnd, entry++));
        }
        const to = src.version + 1 + Math.floor(rnd() * 3);
        src.change(add, [...new Set(remove)], to);
        const now = axfrRecords(zone);
        // From every earlier serial the journal still holds, not only the last one.
        for (const past of history) {
          const journal = zone.journal.since(past.serial);
          if (!journal) expect.fail(`seed ${seed}: the journal does not reach back to ${past.serial}`);
          const { zone: applied, wrong } = applySteps(past.records, journal);
          if (wrong.length > 0 || !same(applied, now)) {
            expect(wrong, `seed ${seed} batch ${b} from ${past.serial}`).toEqual([]);
            expect(sorted(applied), `seed ${seed} batch ${b} from ${past.serial}`).toEqual(sorted(now));
          }
        }
        const last = zone.journal.since(history[history.length - 1]!.serial)![0]!;
        steps++;
        if ([...last.deleted, ...last.added].some((r) => r.owner.startsWith('*.'))) withWildcards++;
        history.push({ serial: to, records: now });
      }
      zone.close();
    }
    // The random universe must actually exercise cover wildcards, or the test proves little.
    expect(withWildcards).toBeGreaterThan(steps / 4);
  }, 120_000);

  it('an exception under a suffix is a few records, not the zone', () => {
    const src = new FakeRules();
    const rules: FeedRule[] = [];
    for (let i = 0; i < 500; i++) rules.push({ id: `d${i}`, kind: 'domain', value: `n${i}.other.kz`, mode: 'restrict', entry: i + 1 });
    src.load(rules, 1);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 100_000 });
    src.change([{ id: 's', kind: 'domain_suffix', value: 'casino.kz', mode: 'restrict', entry: 600 }], [], 2);
    src.change([{ id: 'e', kind: 'domain', value: 'www.casino.kz', mode: 'allow', entry: 601 }], [], 3);
    const [suffix, exception] = zone.journal.since(1)!;
    const text = (s: JournalStep): string[] => [...s.deleted.map((r) => `-${r.owner} ${r.action}`), ...s.added.map((r) => `+${r.owner} ${r.action}`)].sort();
    expect(text(suffix!)).toEqual(['+*.casino.kz nxdomain', '+casino.kz nxdomain']);
    // The exception lets www through and keeps the suffix's block below it (cover wildcard).
    expect(text(exception!)).toEqual(['+*.www.casino.kz nxdomain', '+www.casino.kz passthru']);
    // Taking the suffix away takes its cover with it, and leaves the exact rule alone.
    src.change([], ['domain_suffix casino.kz'], 4);
    expect(text(zone.journal.since(3)![0]!)).toEqual(['-*.casino.kz nxdomain', '-*.www.casino.kz nxdomain', '-casino.kz nxdomain']);
    zone.close();
  });

  it('a batch over the journal\'s record cap leaves the journal empty: such clients get the whole zone', () => {
    const src = new FakeRules();
    src.load([], 1);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 50 });
    const many: FeedRule[] = [];
    for (let i = 0; i < 60; i++) many.push({ id: `d${i}`, kind: 'domain', value: `n${i}.kz`, mode: 'restrict', entry: i + 1 });
    src.change(many, [], 2);
    expect(zone.journal.since(1)).toBeUndefined();
    zone.close();
  });
});

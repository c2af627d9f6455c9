import { describe, expect, it } from 'vitest';
import type { FeedRule } from '@tizilim/shared';
import { RpzZone } from '../../src/rpz-xfr/rpz-zone.js';
import { FakeRules, ZONE } from './xfr-fixtures.js';

const rule = (kind: FeedRule['kind'], value: string, mode: FeedRule['mode'] = 'restrict', entry = 1): FeedRule => ({ id: `${kind}:${value}`, kind, value, mode, entry });
const owners = (recs: readonly { owner: string; action: string }[]): string[] => recs.map((r) => `${r.owner} ${r.action}`).sort();

describe('RPZ zone: journal differences and transfer views', () => {
  it('one batch becomes one journal step with the net difference per owner', () => {
    const src = new FakeRules();
    src.load([rule('domain', 'a.kz'), rule('domain_suffix', 'evil.kz')], 10);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 1000 });
    src.change([rule('domain', 'b.kz'), rule('domain', 'evil.kz', 'allow')], ['domain a.kz'], 12);
    const [step] = zone.journal.since(10)!;
    expect(step!.from).toBe(10);
    expect(step!.to).toBe(12);
    expect(owners(step!.deleted)).toEqual(['a.kz nxdomain', 'evil.kz nxdomain']);
    expect(owners(step!.added)).toEqual(['b.kz nxdomain', 'evil.kz passthru']);
    // Removing the name rule hands the apex back to the suffix; the wildcard never moved.
    src.change([], ['domain evil.kz'], 13);
    const [, back] = zone.journal.since(10)!;
    expect(owners(back!.deleted)).toEqual(['evil.kz passthru']);
    expect(owners(back!.added)).toEqual(['evil.kz nxdomain']);
    expect(zone.journal.since(11)).toBeUndefined();
    expect(zone.journal.since(13)).toEqual([]);
  });

  it('a rule added and removed in one batch leaves no trace; a reload empties the journal', () => {
    const src = new FakeRules();
    src.load([], 1);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 1000 });
    const r = rule('domain', 'flash.kz');
    // FakeRules applies removals first, so model "add then remove" as two changes on the map.
    src.change([r], [], 2);
    src.change([], ['domain flash.kz'], 3);
    expect(zone.journal.since(1)!.map((s) => [s.added.length, s.deleted.length])).toEqual([[1, 0], [0, 1]]);
    src.load([], 3);
    expect(zone.journal.size).toBe(0);
    expect(zone.journal.since(1)).toBeUndefined();
  });

  it('the journal keeps at most maxSteps versions and maxRecords records', () => {
    const src = new FakeRules();
    src.load([], 0);
    const zone = new RpzZone(ZONE, src, { maxSteps: 5, maxRecords: 8 });
    // Two plain names a step.
    for (let v = 1; v <= 10; v++) src.change([rule('domain', `s${v}.kz`), rule('domain', `t${v}.kz`)], [], v);
    expect(zone.journal.size).toBe(4); // 2 records a step, 8 records at most
    expect(zone.journal.oldest).toBe(6);
    expect(zone.journal.since(5)).toBeUndefined();
    expect(zone.journal.since(6)!.length).toBe(4);
  });

  it('a view keeps the zone of its serial while later changes land', () => {
    const src = new FakeRules();
    src.load([rule('domain', 'a.kz'), rule('domain_suffix', 'x.kz')], 5);
    const zone = new RpzZone(ZONE, src, { maxSteps: 100, maxRecords: 1000 });
    const view = zone.openView()!;
    src.change([rule('domain', 'x.kz', 'allow'), rule('domain', 'new.kz')], ['domain a.kz'], 6);
    expect(view.serial).toBe(5);
    const all = view.rules.flatMap((_, i) => view.recordsAt(i));
    expect(owners(all)).toEqual(['*.x.kz nxdomain', 'a.kz nxdomain', 'x.kz nxdomain']);
    zone.closeView(view);
    const fresh = zone.openView()!;
    expect(owners(fresh.rules.flatMap((_, i) => fresh.recordsAt(i)))).toEqual(['*.x.kz nxdomain', 'new.kz nxdomain', 'x.kz passthru']);
  });
});

import { describe, expect, it } from 'vitest';
import { RpzCoverContext, rpzRuleKey, rpzWildcardAt, rpzWrittenRecords, seededRandom, type RpzRuleInput } from '../src/index.js';
import type { RuleMode } from '../src/feed-types.js';

/**
 * rpzWildcardAt (one owner, from a rule lookup) and RpzCoverContext.coverBelow (the cover
 * wildcards written rule by rule, as the export and AXFR write them) are two statements of the
 * same zone: for random rule sets, the `*.X` record each gives must be the same at every X.
 */
const LABELS = ['a', 'b', 'c'];
const MODES: RuleMode[] = ['restrict', 'suspend', 'allow'];

/** Every name of up to four labels over LABELS under `kz`. */
function universe(): string[] {
  const out: string[] = [];
  const grow = (name: string, depth: number): void => {
    out.push(name);
    if (depth < 4) for (const l of LABELS) grow(`${l}.${name}`, depth + 1);
  };
  grow('kz', 0);
  return out;
}

describe('rpzWildcardAt agrees with the cover wildcards the zone writes', () => {
  it('at every name, over random rule sets', () => {
    const names = universe();
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = seededRandom(seed);
      const rules = new Map<string, RpzRuleInput>();
      for (let i = Math.floor(rnd() * 12); i >= 0; i--) {
        const r: RpzRuleInput = {
          kind: rnd() < 0.4 ? 'domain_suffix' : 'domain', value: names[1 + Math.floor(rnd() * (names.length - 1))]!,
          mode: MODES[Math.floor(rnd() * MODES.length)]!, entry: i + 1,
        };
        rules.set(rpzRuleKey(r), r);
      }
      const lookup = (k: string): RpzRuleInput | undefined => rules.get(k);
      // The zone as written rule by rule (rpzRuleText's order and dedup), `*.X` owners only.
      const suffixes = new Map<string, RuleMode>();
      for (const r of rules.values()) if (r.kind === 'domain_suffix') suffixes.set(r.value, r.mode);
      const cover = new RpzCoverContext(suffixes);
      const written = new Map<string, string>();
      for (const r of rules.values()) {
        for (const rec of [...rpzWrittenRecords(r, lookup), ...cover.coverBelow(r.value, r.kind === 'domain', r.entry)]) {
          if (!rec.owner.startsWith('*.')) continue;
          expect(written.has(rec.owner), `seed ${seed}: two records at ${rec.owner}`).toBe(false);
          written.set(rec.owner, rec.action);
        }
      }
      const below = (name: string): boolean => [...rules.values()].some((r) => r.value.endsWith(`.${name}`));
      for (const name of names) {
        expect(rpzWildcardAt(name, lookup, below)?.action, `seed ${seed}: *.${name}`).toBe(written.get(`*.${name}`));
      }
    }
  });
});

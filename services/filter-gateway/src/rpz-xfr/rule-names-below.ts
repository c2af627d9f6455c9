import type { FeedRule } from '@tizilim/shared';

/** Only names carry cover wildcards (rpz-cover.ts): IP, CIDR and URL rules are not counted. */
export function isNameRule(r: { kind: string }): boolean {
  return r.kind === 'domain' || r.kind === 'domain_suffix';
}

/**
 * For each name, how many `domain`/`domain_suffix` rules lie strictly below it (`a.b.kz`
 * counts for `b.kz` and `kz`). A cover wildcard `*.X` exists only while this is above zero
 * or an exact rule sits on X (rpzWildcardAt), so a change to one name rule knows which of its
 * ancestors' covers it may move from its own labels, without scanning the rule set. Kept in
 * step with the live rule map by the zone; names whose count falls to zero are dropped.
 */
export class RuleNamesBelow {
  readonly #counts = new Map<string, number>();

  /** Number of names with at least one rule below them. */
  get size(): number {
    return this.#counts.size;
  }

  count(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  /** Starts again from a whole rule set (a reload). */
  rebuild(rules: Iterable<FeedRule>): void {
    this.#counts.clear();
    for (const r of rules) if (isNameRule(r)) this.add(r.value);
  }

  add(value: string): void {
    this.#shift(value, 1);
  }

  remove(value: string): void {
    this.#shift(value, -1);
  }

  #shift(value: string, by: number): void {
    const counts = this.#counts;
    for (let dot = value.indexOf('.'); dot >= 0; dot = value.indexOf('.', dot + 1)) {
      const name = value.slice(dot + 1);
      const n = (counts.get(name) ?? 0) + by;
      if (n > 0) counts.set(name, n);
      else counts.delete(name);
    }
  }
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NO_MATCH, type FeedRule, type Matcher, type MatchedRule } from '../src/matcher/index.js';
import { seededRandom } from '../src/seeded-random.js';

/** Shared datasets live beside the repository (`../shared/datasets` from its root), never in it. */
const DATASETS = fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));

function datasetLines(file: string): string[] {
  return readFileSync(DATASETS + file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

let cache: { hosts: string[]; suffixes: string[]; popular: string[] } | undefined;
/** Real names, used only as strings: never resolved. */
export function datasets(): { hosts: string[]; suffixes: string[]; popular: string[] } {
  cache ??= {
    hosts: datasetLines('blocklist-stevenblack-hosts.txt'),
    suffixes: datasetLines('blocklist-stevenblack-suffixes.txt').map((l) => l.replace(/^\*\./, '')),
    popular: datasetLines('popular-tranco-top100k.csv').map((l) => l.slice(l.indexOf(',') + 1)),
  };
  return cache;
}

/** Deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function prng(seed: number): { int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  const next = seededRandom(seed);
  return {
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}

export function rule(kind: FeedRule['kind'], value: string, entry: number, extra: Partial<FeedRule> = {}): FeedRule {
  return { id: `r${entry}`, kind, value, mode: 'restrict', entry, ...extra };
}

/** A text name as DNS wire format (labels as given, so case survives). */
export function wire(name: string, prefix: number[] = []): Uint8Array {
  const out = [...prefix];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    out.push(label.length);
    for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i));
  }
  out.push(0);
  return Uint8Array.from(out);
}

/**
 * The labels of a wire name as RFC 1035 allows them (no pointers, lengths ≤ 63, ≤ 255 octets,
 * inside the buffer), or undefined when malformed.
 */
export function decodeWireStrict(buf: Uint8Array, offset: number): Uint8Array[] | undefined {
  const labels: Uint8Array[] = [];
  let i = offset;
  for (;;) {
    if (i >= buf.length) return undefined;
    const len = buf[i]!;
    if (len === 0) break;
    if (len > 63 || i + 1 + len > buf.length) return undefined;
    labels.push(buf.subarray(i + 1, i + 1 + len));
    i += len + 1;
    if (i - offset + 1 > 255) return undefined;
  }
  return labels;
}

/** What a handle stands for, comparable across matchers (handles are per matcher). */
export function described(m: Matcher, h: number): MatchedRule | null {
  return h === NO_MATCH ? null : m.ruleOf(h);
}

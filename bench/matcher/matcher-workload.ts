/**
 * The matcher benchmarks' inputs: a deterministic N-rule set made from the shared datasets and
 * 2^20 pre-encoded wire queries (90 % names no rule covers, 10 % rule names). Datasets are
 * read from /work/shared/datasets (../shared/datasets from the repo root); the names in them
 * are only used as strings here, never resolved.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeedRule } from '@tizilim/shared';

const here = dirname(fileURLToPath(import.meta.url));
const DATASETS = resolve(here, '../../../shared/datasets');

function lines(file: string): string[] {
  return readFileSync(resolve(DATASETS, file), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export const hosts = lines('blocklist-stevenblack-hosts.txt');
export const suffixes = lines('blocklist-stevenblack-suffixes.txt').map((l) => l.replace(/^\*\./, ''));
const tranco = lines('popular-tranco-top100k.csv').map((l) => l.slice(l.indexOf(',') + 1));

/**
 * Rule i of a deterministic N-rule set: every 20th is a `domain_suffix` from the suffix list,
 * the others `domain` rules from the hosts list. Once a list is used up, it is reused with a
 * prefix label `v<round>` (round 1, 2, ...), e.g. `v3.ads.example.com`, so every value is
 * distinct and real names make up the upper labels.
 */
export function* generateRules(n: number): Generator<FeedRule> {
  let h = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const suffix = i % 20 === 0;
    const list = suffix ? suffixes : hosts;
    const k = suffix ? s++ : h++;
    const round = Math.floor(k / list.length);
    const name = list[k % list.length]!;
    yield {
      id: String(i),
      kind: suffix ? 'domain_suffix' : 'domain',
      value: round === 0 ? name : `v${round}.${name}`,
      mode: 'restrict',
      entry: i + 1,
    };
  }
}

export function encodeWire(name: string, out: number[]): void {
  for (const label of name.split('.')) {
    out.push(label.length);
    for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i));
  }
  out.push(0);
}

/** The baseline of TOOLCHAIN.md: two Sets (exact names, suffix apexes), walking suffixes. */
export class SetBaseline {
  readonly exact = new Set<string>();
  readonly suffix = new Set<string>();
  readonly #scratch = Buffer.alloc(256);
  add(r: FeedRule): void { (r.kind === 'domain' ? this.exact : this.suffix).add(r.value); }
  matchHost(name: string): boolean {
    if (this.exact.has(name)) return true;
    for (let n = name; ; ) {
      if (this.suffix.has(n)) return true;
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
    }
  }
  /** The cheapest string route: lower-case the name into a scratch buffer, decode it once. */
  matchWireName(buf: Uint8Array, offset: number): boolean {
    const out = this.#scratch;
    let n = 0;
    for (let i = offset; ; ) {
      const len = buf[i]!;
      if (len === 0) break;
      if (n > 0) out[n++] = 46;
      for (let j = i + 1; j <= i + len; j++) { const b = buf[j]!; out[n++] = b >= 65 && b <= 90 ? b + 32 : b; }
      i += len + 1;
    }
    return this.matchHost(out.toString('latin1', 0, n));
  }
}

export interface Queries { buf: Uint8Array; offsets: Int32Array; hits: number }

/** 90% names from the Tranco list that no rule covers (half with `www.`), 10% covered names. */
export function makeQueries(n: number, count: number): Queries {
  const oracle = new SetBaseline();
  const values: FeedRule[] = [];
  for (const r of generateRules(n)) { oracle.add(r); values.push(r); }
  const bytes: number[] = [];
  const offsets = new Int32Array(count);
  let rnd = 12345;
  const next = (m: number): number => { rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0; return rnd % m; };
  let hits = 0;
  for (let q = 0, t = 0; q < count; q++) {
    let name: string;
    if (q % 10 === 0) {
      const r = values[next(values.length)]!;
      name = r.kind === 'domain_suffix' && next(2) === 0 ? `www.${r.value}` : r.value;
      hits++;
    } else {
      do {
        const base = tranco[t++ % tranco.length]!;
        name = next(2) === 0 ? `www.${base}` : base;
      } while (oracle.matchHost(name));
    }
    offsets[q] = bytes.length;
    encodeWire(q % 7 === 0 ? name.toUpperCase() : name, bytes);
  }
  return { buf: Uint8Array.from(bytes), offsets, hits };
}


import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FeedRule } from '@tizilim/shared';
import { seededRandom } from '@tizilim/shared';

/** ../shared/datasets relative to the project root (DATASETS_DIR overrides). */
export const DATASETS_DIR = process.env['DATASETS_DIR'] ?? fileURLToPath(new URL('../../../../shared/datasets/', import.meta.url));

const NAME = /^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})+$/;
/** Room for the longest generated prefix and `.rpz.tizilim.` within 253 characters. */
const MAX_BASE = 200;

function lines(file: string): string[] {
  return readFileSync(`${DATASETS_DIR}/${file}`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

export interface Datasets {
  hosts: string[];
  suffixes: string[];
  popular: string[];
}

export function loadDatasets(): Datasets {
  const ok = (n: string): boolean => n.length <= MAX_BASE && NAME.test(n);
  const hosts = lines('blocklist-stevenblack-hosts.txt').map((l) => l.toLowerCase()).filter(ok);
  const suffixes = lines('blocklist-stevenblack-suffixes.txt').map((l) => l.toLowerCase().replace(/^\*\./, '')).filter(ok);
  const popular = lines('popular-tranco-top100k.csv').map((l) => (l.split(',')[1] ?? '').toLowerCase()).filter(ok);
  return { hosts, suffixes, popular };
}

export interface RuleSetSpec {
  label: string;
  rules: FeedRule[];
  /** Exact names and suffix apexes, for building queries. */
  exact: string[];
  suffixes: string[];
  howMade: string;
}

/**
 * 100k: the first 70,000 StevenBlack hosts as `domain` rules and the first 30,000 suffixes
 * as `domain_suffix`. 1M: every host and suffix, then `p1.<host>`, `p2.<host>`, … (one
 * generated label in front of each host, pass after pass over the host list) as further
 * `domain` rules until there are 1,000,000.
 */
export function buildRuleSet(d: Datasets, size: '100k' | '1m'): RuleSetSpec {
  const exact = new Set<string>();
  const suffixes = new Set<string>();
  let howMade: string;
  if (size === '100k') {
    for (const h of d.hosts) { if (exact.size >= 70_000) break; exact.add(h); }
    for (const s of d.suffixes) { if (suffixes.size >= 30_000) break; suffixes.add(s); }
    howMade = 'first 70,000 StevenBlack hosts (`domain`) + first 30,000 StevenBlack suffixes (`domain_suffix`)';
  } else {
    for (const h of d.hosts) exact.add(h);
    for (const s of d.suffixes) suffixes.add(s);
    const real = exact.size + suffixes.size;
    let k = 0;
    outer: for (;;) {
      k++;
      for (const h of d.hosts) {
        if (exact.size + suffixes.size >= 1_000_000) break outer;
        exact.add(`p${k}.${h}`);
      }
    }
    howMade = `all ${d.hosts.length.toLocaleString('en')} StevenBlack hosts + all ${d.suffixes.length.toLocaleString('en')} suffixes (${real.toLocaleString('en')} real rules), `
      + `plus ${(1_000_000 - real).toLocaleString('en')} generated \`domain\` rules \`p<k>.<host>\` (k = 1…${k}: one label prefixed to each host, pass after pass over the host list)`;
  }
  const rules: FeedRule[] = [];
  let entry = 1;
  for (const value of exact) rules.push({ id: `bench-${entry}`, kind: 'domain', value, mode: 'restrict', entry: entry++ });
  for (const value of suffixes) rules.push({ id: `bench-${entry}`, kind: 'domain_suffix', value, mode: 'restrict', entry: entry++ });
  return { label: size, rules, exact: [...exact], suffixes: [...suffixes], howMade };
}

/** Seeded, so query files are the same run to run. */
export const prng = seededRandom;

/** True when `name` or one of its parents is a suffix rule, or it is an exact rule. */
function isBlocked(name: string, exact: ReadonlySet<string>, suffixes: ReadonlySet<string>): boolean {
  if (exact.has(name)) return true;
  for (let n = name; ; ) {
    if (suffixes.has(n)) return true;
    const dot = n.indexOf('.');
    if (dot < 0) return false;
    n = n.slice(dot + 1);
  }
}

export interface QueryFiles {
  blocked: string;
  allowed: string;
  mix: string;
  /** Distinct allowed names (what the caches must hold). */
  allowedNames: number;
  blockedNames: number;
  probeBlocked: string;
  probeAllowed: string;
}

/**
 * dnsperf input files (`name A` per line). Blocked: 50,000 names drawn from the rules, half
 * exact names, half `www.`/random-label names under suffix rules (the suffix walk). Allowed:
 * the Tranco names that no rule blocks, at most `allowedCount` of them (all of which fit in
 * both servers' caches). Mix: 90 allowed : 10 blocked, interleaved.
 */
export function writeQueryFiles(dir: string, spec: RuleSetSpec, popular: readonly string[], allowedCount = 20_000): QueryFiles {
  const rnd = prng(20261124);
  const exactSet = new Set(spec.exact);
  const suffixSet = new Set(spec.suffixes);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const blocked: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    if (i % 2 === 0 || spec.suffixes.length === 0) blocked.push(pick(spec.exact));
    else blocked.push(`${i % 4 === 1 ? 'www' : `h${Math.floor(rnd() * 1e6)}`}.${pick(spec.suffixes)}`);
  }
  // Names under TLDs Unbound answers itself by default (RFC 6761/7686 local zones) would be
  // NXDOMAIN from both servers' upstream, not allowed answers: left out.
  const special = /\.(onion|test|invalid|localhost|local|arpa|example|internal|lan|home)$/;
  const allowed = popular.filter((n) => !special.test(n) && !isBlocked(n, exactSet, suffixSet)).slice(0, allowedCount);
  const mix: string[] = [];
  let b = 0;
  for (let i = 0; i < 100_000; i++) mix.push(i % 10 === 9 ? blocked[b++ % blocked.length]! : allowed[i % allowed.length]!);
  const write = (name: string, list: readonly string[]): string => {
    const f = `${dir}/${name}`;
    writeFileSync(f, list.map((n) => `${n} A`).join('\n') + '\n');
    return f;
  };
  return {
    blocked: write(`q-blocked-${spec.label}.txt`, blocked),
    allowed: write(`q-allowed-${spec.label}.txt`, allowed),
    mix: write(`q-mix-${spec.label}.txt`, mix),
    allowedNames: allowed.length,
    blockedNames: new Set(blocked).size,
    probeBlocked: spec.exact[0]!,
    probeAllowed: allowed[0]!,
  };
}

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
  /** Exception names (allowed by their own rule under a suffix rule), when there are any. */
  exceptions?: string | undefined;
  probeException?: string | undefined;
  /** A name under an exception: the suffix rule above it still blocks it. */
  probeUnderException?: string | undefined;
}

/**
 * dnsperf input files (`name A` per line). Blocked: 50,000 names drawn from the rules, half
 * exact names, half `www.`/random-label names under suffix rules (the suffix walk). Allowed:
 * the Tranco names that no rule blocks, at most `allowedCount` of them (all of which fit in
 * both servers' caches). Mix: 90 allowed : 10 blocked, interleaved; with `exceptions`, one
 * allowed query in 90 (1 % of the mix) is an exception name instead, so the blocked share
 * stays 10 % only if both servers answer the exceptions.
 */
export function writeQueryFiles(dir: string, spec: RuleSetSpec, popular: readonly string[], allowedCount = 20_000, exceptions: readonly string[] = []): QueryFiles {
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
  let e = 0;
  for (let i = 0; i < 100_000; i++) {
    mix.push(i % 10 === 9 ? blocked[b++ % blocked.length]! : exceptions.length > 0 && i % 100 === 0 ? exceptions[e++ % exceptions.length]! : allowed[i % allowed.length]!);
  }
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
    exceptions: exceptions.length > 0 ? write(`q-exceptions-${spec.label}.txt`, exceptions) : undefined,
    probeException: exceptions[0],
    probeUnderException: exceptions[0] ? `below.${exceptions[0]}` : undefined,
  };
}

/**
 * Adds exceptions until they are `share` of all rules (issue 13's "1 % exceptions"): an exact
 * `domain` rule with mode `allow` on `exc<k>.<S>` for a seeded pick of suffix rules S, the way
 * a register carves one name out of a restricted domain. Returns the exception names (for the
 * mix). None is an exact rule or suffix rule already, nor a name the blocked queries use.
 */
export function addExceptionRules(spec: RuleSetSpec, share: number): string[] {
  if (!(share > 0 && share < 1) || spec.suffixes.length === 0) return [];
  const want = Math.round((spec.rules.length * share) / (1 - share));
  const rnd = prng(1414);
  const taken = new Set([...spec.exact, ...spec.suffixes]);
  const names: string[] = [];
  let entry = spec.rules.length + 1;
  for (let k = 1; names.length < want; k++) {
    const name = `exc${k}.${spec.suffixes[Math.floor(rnd() * spec.suffixes.length)]!}`;
    if (name.length > 253 - 14 || taken.has(name)) continue;
    taken.add(name);
    names.push(name);
    spec.rules.push({ id: `bench-${entry}`, kind: 'domain', value: name, mode: 'allow', entry: entry++ });
  }
  spec.howMade += `; plus ${want.toLocaleString('en')} exceptions (${share * 100} % of all rules: \`domain\` allow \`exc<k>.<S>\` under a seeded pick of the suffix rules S)`;
  return names;
}

/**
 * Adds `ip` and `cidr` rules until they are `share` of all rules (issue 13's "10 % IP/CIDR"):
 * half IPv4, half IPv6, as `ip` and as `cidr` of a few lengths (/16, /20, /24; /32, /48, /64),
 * the way registers hold them (few distinct prefix lengths). Seeded. None covers the bench
 * upstream's answers (192.0.2.1, 2001:db8::1): allowed answers are checked against every rule
 * and let through, which is the cost this measures; blocked names stay blocked by name.
 */
export function addIpRules(spec: RuleSetSpec, share: number): number {
  if (!(share > 0 && share < 1)) return 0;
  const want = Math.round((spec.rules.length * share) / (1 - share));
  const rnd = prng(1313);
  const byte = (): number => Math.floor(rnd() * 256);
  const v4Lengths = [32, 24, 20, 16];
  const v6Lengths = [128, 64, 48, 32];
  const seen = new Set<string>();
  let entry = spec.rules.length + 1;
  while (seen.size < want) {
    const v6 = seen.size % 2 === 1;
    const len = (v6 ? v6Lengths : v4Lengths)[Math.floor(rnd() * 4)]!;
    let value: string;
    if (!v6) {
      let a = 1 + Math.floor(rnd() * 222);
      if (a === 127 || a === 192) a = 100; // keep clear of loopback and 192.0.2.0/24
      const b = [a, byte(), byte(), byte()];
      const bits = len;
      for (let i = 0; i < 4; i++) {
        const keep = Math.max(0, Math.min(8, bits - i * 8));
        b[i] = b[i]! & (0xff << (8 - keep)) & 0xff;
      }
      value = len === 32 ? b.join('.') : `${b.join('.')}/${len}`;
    } else {
      // 2a00::/12-ish space, never 2001:db8::/32.
      const g = [0x2a00 + Math.floor(rnd() * 0xff), byte() << 8 | byte(), byte() << 8 | byte(), byte() << 8 | byte(), 0, 0, 0, byte() + 1];
      const full = g.map((x) => x.toString(16));
      if (len === 128) value = full.join(':');
      else {
        const keepGroups = len / 16;
        value = `${full.slice(0, keepGroups).join(':')}::/${len}`;
      }
    }
    if (seen.has(value)) continue;
    seen.add(value);
    spec.rules.push({ id: `bench-${entry}`, kind: len === (v6 ? 128 : 32) ? 'ip' : 'cidr', value, mode: 'restrict', entry: entry++ });
  }
  spec.howMade += `; plus ${want.toLocaleString('en')} \`ip\`/\`cidr\` rules (${Math.round(share * 100)} % of all; v4 /16 /20 /24 /32, v6 /32 /48 /64 /128, seeded; none covers the upstream's answers)`;
  return want;
}

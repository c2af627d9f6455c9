import { describe, expect, it } from 'vitest';
import {
  NO_MATCH, OverlayMatcher, ReferenceMatcher, applyChanges, buildMatcher, whenCompacted,
  type FeedRule, type Matcher, type RuleChange,
} from '../src/matcher/index.js';
import { SYNC_COMPACT_RULES } from '../src/matcher/overlay-matcher.js';
import { datasets, decodeWireStrict, described, prng, wire } from './matcher-test-support.js';

/**
 * Property: on random rule sets built from real names, and on random queries (including
 * random bytes as wire names), the fast matcher answers what ReferenceMatcher answers.
 * Values are generated in the feed's normal form (lower case, canonical addresses), which is
 * what both matchers are specified for.
 */

type Rng = ReturnType<typeof prng>;
const SYNTH_LABELS = ['a', 'b', 'ads', 'www', 'cdn', 'x-1', 'xn--80ak6aa92e'];
const SYNTH_TLDS = ['com', 'kz', 'net'];
const URL_HOSTS = ['news.example.org', 'blog.example.net', 'a.com', 'www.ads.kz'];
const URL_PATHS = ['/', '/a', '/a/', '/a/b', '/ab', '/a?x=1', '/a/b/c', '/politics', '/politics/elections'];
/** Rule paths distinct in canonical form (`/a/` is `/a`): the register never records one URL twice. */
const RULE_PATHS = URL_PATHS.filter((p) => p !== '/a/');

function synthName(r: Rng): string {
  const labels = [r.pick(SYNTH_TLDS)];
  for (let d = r.int(4); d >= 0; d--) labels.unshift(r.pick(SYNTH_LABELS));
  return labels.join('.');
}

function realName(r: Rng): string {
  const d = datasets();
  return r.pick(r.chance(0.5) ? d.hosts : r.chance(0.5) ? d.suffixes : d.popular);
}

function v4(r: Rng): number[] {
  // A small address space, so prefixes nest and collide often.
  return [r.pick([10, 192, 0]), r.int(4), r.int(4) * 64, r.int(256)];
}
function v6(r: Rng): number[] {
  const b = [0x20, 0x01, 0x0d, 0xb8, 0, r.int(3), 0, 0, r.pick([0, 0x80, 0xff]), ...Array.from({ length: 7 }, () => r.int(3))];
  return b;
}
function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
}
function ipText(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

function randomRule(r: Rng, entry: number): FeedRule {
  // Exceptions (`allow`) are rules like the others to the lookups: most specific wins whatever the mode.
  const mode = r.chance(0.1) ? 'allow' : r.chance(0.2) ? 'suspend' : 'restrict';
  const base = { id: `r${entry}`, mode, entry, ...(mode === 'suspend' && r.chance(0.5) ? { until: new Date(1.9e12 + r.int(1e9)).toISOString() } : {}) } as const;
  const roll = r.int(100);
  if (roll < 70) {
    const value = r.chance(0.5) ? synthName(r) : realName(r);
    return { ...base, kind: r.chance(0.5) ? 'domain' : 'domain_suffix', value };
  }
  if (roll < 90) {
    const six = r.chance(0.4);
    const bytes = six ? v6(r) : v4(r);
    if (r.chance(0.25)) return { ...base, kind: 'ip', value: ipText(bytes) };
    const prefix = six ? r.pick([0, 16, 32, 33, 48, 64, 65, 72, 127, 128]) : r.pick([0, 8, 9, 16, 20, 24, 26, 31, 32]);
    return { ...base, kind: 'cidr', value: `${ipText(maskBytes(bytes, prefix))}/${prefix}` };
  }
  return { ...base, kind: 'url', value: `https://${r.pick(URL_HOSTS)}${r.pick(RULE_PATHS)}` };
}

function randomCase(r: Rng, s: string): string {
  return r.chance(0.3) ? [...s].map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join('') : s;
}

function randomHost(r: Rng, rules: readonly FeedRule[]): string {
  const names = rules.filter((x) => x.kind === 'domain' || x.kind === 'domain_suffix');
  let name: string;
  const roll = r.int(10);
  if (roll < 4 && names.length) name = r.pick(names).value;
  else if (roll < 6 && names.length) name = `${r.pick(SYNTH_LABELS)}.${r.pick(names).value}`;
  else if (roll < 7 && names.length) name = r.pick(names).value.split('.').slice(1).join('.');
  else if (roll < 8) name = realName(r);
  else if (roll < 9) name = synthName(r);
  else name = Array.from({ length: r.int(12) }, () => r.pick(['a', 'b', '.', '-', 'C', 'x', 'm', 'o'])).join('');
  name = randomCase(r, name);
  return r.chance(0.15) ? `${name}.` : name;
}

function randomWire(r: Rng, rules: readonly FeedRule[]): { buf: Uint8Array; offset: number } {
  const roll = r.int(10);
  if (roll < 2) {
    const buf = Uint8Array.from({ length: r.int(40) }, () => (r.chance(0.3) ? r.int(8) : r.int(256)));
    return { buf, offset: r.int(buf.length + 1) };
  }
  const host = randomHost(r, rules);
  const prefix = Array.from({ length: r.int(3) === 0 ? 12 : 0 }, () => r.int(256));
  const buf = wire(host, prefix);
  if (roll < 5) {
    // Corrupt one byte, cut the buffer short, or plant a compression pointer.
    const mutated = Uint8Array.from(buf);
    const at = prefix.length + r.int(Math.max(1, buf.length - prefix.length));
    const what = r.int(3);
    if (what === 0) mutated[at] = r.int(256);
    else if (what === 1) return { buf: mutated.subarray(0, at), offset: prefix.length };
    else mutated[at] = 0xc0 | r.int(64);
    return { buf: mutated, offset: prefix.length };
  }
  return { buf, offset: prefix.length };
}

function randomAddr(r: Rng, rules: readonly FeedRule[]): Uint8Array {
  const ips = rules.filter((x) => x.kind === 'ip' || x.kind === 'cidr');
  if (ips.length && r.chance(0.6)) {
    const [addr, len] = r.pick(ips).value.split('/');
    const six = addr!.includes(':');
    // An address inside (or just outside) a rule's prefix: keep the prefix, randomise the rest.
    const bytes = six ? v6(r) : v4(r);
    const keep = Number(len ?? (six ? 128 : 32)) + (r.chance(0.2) ? -1 : 0);
    const base = [...(six ? parse6(addr!) : addr!.split('.').map(Number))];
    return Uint8Array.from(base.map((b, i) => {
      const bits = Math.min(8, Math.max(0, keep - i * 8));
      const m = (0xff << (8 - bits)) & 0xff;
      return (b & m) | (bytes[i]! & ~m & 0xff);
    }));
  }
  return Uint8Array.from(r.chance(0.5) ? v4(r) : v6(r));
}
function parse6(text: string): number[] {
  return text.split(':').flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; });
}

/** The reference's answer for a wire name, under the wire rules the fast matcher follows. */
function expectedWire(ref: ReferenceMatcher, buf: Uint8Array, offset: number): { skip: true } | { skip: false; h: number } {
  const labels = decodeWireStrict(buf, offset);
  if (!labels) return { skip: false, h: NO_MATCH };
  // A label containing a dot has no text form; the reference would split it.
  if (labels.some((l) => l.includes(46))) return { skip: true };
  return { skip: false, h: ref.matchHost(labels.map((l) => String.fromCharCode(...l)).join('.')) };
}

function compareOn(fast: Matcher, ref: ReferenceMatcher, rules: readonly FeedRule[], r: Rng, queries: number): void {
  expect(fast.ruleCount).toBe(ref.ruleCount);
  for (let q = 0; q < queries; q++) {
    const host = randomHost(r, rules);
    expect(described(fast, fast.matchHost(host)), `matchHost ${JSON.stringify(host)}`).toEqual(described(ref, ref.matchHost(host)));

    const { buf, offset } = randomWire(r, rules);
    const want = expectedWire(ref, buf, offset);
    const got = fast.matchWireName(buf, offset);
    if (want.skip) expect(got === NO_MATCH || fast.ruleOf(got).kind === 'domain_suffix').toBe(true);
    else expect(described(fast, got), `matchWireName [${buf.join(',')}] @${offset}`).toEqual(described(ref, want.h));

    const addr = randomAddr(r, rules);
    expect(described(fast, fast.matchIp(addr)), `matchIp [${addr.join(',')}]`).toEqual(described(ref, ref.matchIp(addr)));

    const urlHost = randomCase(r, r.chance(0.6) ? r.pick(URL_HOSTS) : randomHost(r, rules));
    const path = r.pick(URL_PATHS) + (r.chance(0.5) ? r.pick(['', '/', 'x', '/x', '?y', '#f']) : '');
    expect(described(fast, fast.matchUrl(urlHost, path)), `matchUrl ${urlHost} ${path}`).toEqual(described(ref, ref.matchUrl(urlHost, path)));
  }
}

function answersOf(m: Matcher, probes: readonly string[]): unknown[] {
  return probes.map((p) => described(m, m.matchHost(p)));
}

describe('fast matcher agrees with ReferenceMatcher', () => {
  it('on random rule sets and queries', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = prng(seed);
      const rules = Array.from({ length: 50 + r.int(2000) }, (_, i) => randomRule(r, i + 1));
      const fast = buildMatcher(rules);
      const ref = new ReferenceMatcher(rules);
      compareOn(fast, ref, rules, r, 1500);
    }
  }, 120_000);

  it('never throws and never matches a malformed wire name, on random bytes', () => {
    const r = prng(99);
    const rules = [...Array.from({ length: 500 }, (_, i) => randomRule(r, i + 1)), { id: 'all', kind: 'domain_suffix', value: 'com', mode: 'restrict', entry: 0 } as FeedRule];
    const fast = buildMatcher(rules);
    for (let i = 0; i < 50000; i++) {
      const buf = Uint8Array.from({ length: r.int(300) }, () => (r.chance(0.5) ? r.int(64) : r.int(256)));
      const offset = r.int(buf.length + 2) - 1;
      const h = fast.matchWireName(buf, offset);
      if (!decodeWireStrict(buf, Math.max(0, offset)) || offset < 0) expect(h).toBe(NO_MATCH);
      else if (h !== NO_MATCH) expect(fast.ruleOf(h).kind).toMatch(/^domain/);
    }
  });

  it('after random change batches, without changing earlier matchers', () => {
    for (let seed = 100; seed < 104; seed++) {
      const r = prng(seed);
      let entry = 1;
      let rules = Array.from({ length: 100 + r.int(400) }, () => randomRule(r, entry++));
      let fast = buildMatcher(rules);
      let ref = new ReferenceMatcher(rules);
      for (let round = 0; round < 40; round++) {
        const batch: RuleChange[] = Array.from({ length: 1 + r.int(r.chance(0.1) ? 200 : 12) }, () => {
          if (r.chance(0.45) && rules.length) return { op: 'remove', rule: r.pick(rules) };
          // Re-adding an existing kind+value with a new entry replaces it.
          const rule = r.chance(0.3) && rules.length ? { ...r.pick(rules), entry: entry++ } : randomRule(r, entry++);
          return { op: 'add', rule };
        });
        const probes = Array.from({ length: 200 }, () => randomHost(r, rules));
        const before = answersOf(fast, probes);
        const previous = fast;
        fast = applyChanges(fast, batch);
        ref = applyChanges(ref, batch) as ReferenceMatcher;
        expect(answersOf(previous, probes)).toEqual(before);
        rules = ref.rules().map((x) => ({ id: '', ...x }));
        compareOn(fast, ref, rules, r, 150);
      }
    }
  }, 120_000);

  it('while a large overlay is compacted in the background, and after it is picked up', async () => {
    const r = prng(200);
    let entry = 1;
    // Above the size compacted at once (distinct fillers), so compactions run as background jobs.
    let rules = [
      ...Array.from({ length: 800 }, () => randomRule(r, entry++)),
      ...Array.from({ length: SYNC_COMPACT_RULES }, (_, i): FeedRule => ({ id: `f${i}`, kind: 'domain', value: `f${i}.${r.pick(SYNTH_TLDS)}`, mode: 'restrict', entry: entry++ })),
    ];
    let fast = buildMatcher(rules);
    let ref = new ReferenceMatcher(rules);
    let sawPending = false;
    let sawPickedUp = false;
    for (let round = 0; round < 60; round++) {
      const batch: RuleChange[] = Array.from({ length: 1 + r.int(200) }, () => {
        if (r.chance(0.4) && rules.length) return { op: 'remove', rule: r.pick(rules) };
        const rule = r.chance(0.3) && rules.length ? { ...r.pick(rules), entry: entry++ } : randomRule(r, entry++);
        return { op: 'add', rule };
      });
      const probes = Array.from({ length: 100 }, () => randomHost(r, rules));
      const before = answersOf(fast, probes);
      const previous = fast;
      const previousBase = previous instanceof OverlayMatcher ? previous.base : previous;
      fast = applyChanges(fast, batch);
      ref = applyChanges(ref, batch) as ReferenceMatcher;
      if (fast instanceof OverlayMatcher && fast.compaction && !fast.compaction.settled) sawPending = true;
      if (fast instanceof OverlayMatcher && fast.base !== previousBase && previous instanceof OverlayMatcher && previous.compaction) sawPickedUp = true;
      rules = ref.rules().map((x) => ({ id: '', ...x }));
      compareOn(fast, ref, rules, r, 60);
      // Let the job run a slice or two (or none), as a busy event loop would.
      for (let i = r.int(4); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
      // The matcher a query holds never changes under it, however far the job has got.
      expect(answersOf(previous, probes)).toEqual(before);
      if (round % 15 === 14) {
        const compacted = await whenCompacted(fast);
        if (fast instanceof OverlayMatcher && compacted instanceof OverlayMatcher && compacted.base !== fast.base) sawPickedUp = true;
        compareOn(compacted, ref, rules, r, 100);
        compareOn(fast, ref, rules, r, 20);
        fast = compacted;
      }
    }
    expect(sawPending).toBe(true);
    expect(sawPickedUp).toBe(true);
  }, 120_000);

  it('finishes a compaction at once when changes outrun it, with the same answers', () => {
    const r = prng(300);
    let entry = 1;
    let rules = Array.from({ length: SYNC_COMPACT_RULES + 200 }, (_, i): FeedRule => ({ id: `f${i}`, kind: 'domain_suffix', value: `f${i}.${r.pick(SYNTH_TLDS)}`, mode: 'restrict', entry: entry++ }));
    let fast = buildMatcher(rules);
    let ref = new ReferenceMatcher(rules);
    const firstBase = fast;
    // No event-loop turn between batches: only the overlay's own limit can end the job.
    for (let round = 0; round < 40; round++) {
      const batch: RuleChange[] = Array.from({ length: 400 }, () => ({ op: 'add', rule: randomRule(r, entry++) }));
      fast = applyChanges(fast, batch);
      ref = applyChanges(ref, batch) as ReferenceMatcher;
    }
    rules = ref.rules().map((x) => ({ id: '', ...x }));
    expect(fast instanceof OverlayMatcher ? fast.base : fast).not.toBe(firstBase);
    compareOn(fast, ref, rules, r, 400);
  }, 120_000);
});

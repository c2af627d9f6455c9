/**
 * The longest the event loop is blocked while a stream of changes is applied to a large
 * matcher, compactions included (the overlay is rebuilt every few thousand changes).
 *
 *   node --expose-gc --import tsx bench/matcher/matcher-pause-bench.ts
 *
 * Options: --rules=1000000 --changes=10000 --batch=20 --every=20 (ms between batches)
 * --matcher=<module> (default @tizilim/shared; another copy of the matcher's index.ts to
 * compare two versions with the same stream). Each batch adds new names and removes some
 * rules added earlier; between batches the event loop is free, as in the gateway.
 * Reported: the event loop's longest delay (monitorEventLoopDelay), the longest gap between
 * two ticks of a 1 ms timer in wall time and in this process's CPU time (on a shared machine
 * the wall figure includes time other processes held the core), the longest applyChanges
 * call, and how many times the base was rebuilt.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import type { FeedRule, Matcher, RuleChange } from '@tizilim/shared';
import { generateRules } from './matcher-workload.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const RULES = Number(args.get('rules') ?? '1000000');
const CHANGES = Number(args.get('changes') ?? '10000');
const BATCH = Number(args.get('batch') ?? '20');
const EVERY = Number(args.get('every') ?? '20');

interface MatcherModule {
  MatcherBuilder: new (o: { expectedRules: number }) => { add(r: FeedRule): void; build(): Matcher };
  applyChanges(m: Matcher, c: readonly RuleChange[]): Matcher;
}
const lib = (await import(args.get('matcher') ?? '@tizilim/shared')) as MatcherModule;

const b = new lib.MatcherBuilder({ expectedRules: RULES });
for (const r of generateRules(RULES)) b.add(r);
let m: Matcher = b.build();

const rule = (i: number): FeedRule => ({ id: `c${i}`, kind: i % 20 === 0 ? 'domain_suffix' : 'domain', value: `change-${i}.stream.example`, mode: 'restrict', entry: 2e9 + i });
function batchAt(first: number): RuleChange[] {
  const out: RuleChange[] = [];
  for (let i = first; i < first + BATCH; i++) {
    // One change in four removes a rule added earlier in the stream.
    out.push(i % 4 === 3 && i > 100 ? { op: 'remove', rule: rule(i - 100) } : { op: 'add', rule: rule(i) });
  }
  return out;
}

const histogram = monitorEventLoopDelay({ resolution: 1 });
let worstWall = 0;
let worstCpu = 0;
let lastWall = performance.now();
let lastCpu = process.cpuUsage();
const ticker = setInterval(() => {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  worstWall = Math.max(worstWall, wall - lastWall);
  worstCpu = Math.max(worstCpu, (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000);
  lastWall = wall;
  lastCpu = cpu;
}, 1);
let longestApply = 0;
let rebuilds = 0;
const baseOf = (x: Matcher): unknown => (x as { base?: unknown }).base ?? x;
const c0 = process.cpuUsage();
const t0 = performance.now();
histogram.enable();
for (let done = 0; done < CHANGES; done += BATCH) {
  await new Promise((resolve) => setTimeout(resolve, EVERY));
  const before = baseOf(m);
  const a0 = performance.now();
  m = lib.applyChanges(m, batchAt(done));
  longestApply = Math.max(longestApply, performance.now() - a0);
  if (baseOf(m) !== before) rebuilds++;
}
// Let a compaction still running finish, under the same measurement.
for (let i = 0; i < 200 && (m as { compaction?: { settled: boolean } | null }).compaction?.settled === false; i++) {
  await new Promise((resolve) => setTimeout(resolve, EVERY));
}
histogram.disable();
clearInterval(ticker);
const cpu = process.cpuUsage(c0);
const sanity = m.matchHost(`change-${CHANGES - BATCH}.stream.example`) !== -1;
console.log(`${args.get('matcher') ?? '@tizilim/shared'}: ${RULES} rules, ${CHANGES} changes in batches of ${BATCH} every ${EVERY} ms: ` +
  `event loop delay max ${(histogram.max / 1e6).toFixed(1)} ms, p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms; ` +
  `longest gap between 1 ms ticks ${worstWall.toFixed(1)} ms wall, ${worstCpu.toFixed(1)} ms CPU; ` +
  `longest applyChanges ${longestApply.toFixed(1)} ms; base rebuilt ${rebuilds} times; ` +
  `${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; last add visible: ${sanity}; ` +
  `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

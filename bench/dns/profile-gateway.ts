/**
 * Where a gateway worker spends its CPU under dnsperf load: runs the gateway (one worker,
 * 100k rules from a snapshot file) under `node --cpu-prof`, loads it with one query mix for
 * N seconds, stops it (the profile is written on exit) and prints the top frames by self time
 * and the share of time per source file.
 *
 *   npx tsx bench/dns/profile-gateway.ts [--mix blocked|allowed|mix] [--seconds 10] [--keep DIR]
 *
 * --keep copies the .cpuprofile into DIR (open it in Chrome DevTools → Performance).
 * Loopback only; children killed and the temp dir removed however it ends.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildRuleSet, loadDatasets, writeQueryFiles } from './lib/datasets.js';
import { dnsperf } from './lib/dnsperf.js';
import { freePort, removeDir, trackDir } from './lib/procs.js';
import { REPO_ROOT, startGateway, startUnbound, upstreamUnboundConf, writeGatewaySnapshot, type Server } from './lib/servers.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const MIX = arg('mix', 'blocked');
const SECONDS = Number(arg('seconds', '10'));
const KEEP = arg('keep', '');

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/**
 * Only samples taken while dnsperf ran count (`fromUs`…`toUs`, CLOCK_MONOTONIC µs, the clock
 * V8 stamps profiles with): start-up, snapshot loading and shutdown are left out.
 */
function analyse(p: Profile, fromUs: number, toUs: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const where = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(`file://${REPO_ROOT}`, '').replace(/^node:/, 'node:');
    return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
  };
  const bySelf = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    bySelf.set(where(n), (bySelf.get(where(n)) ?? 0) + us);
    const file = n.callFrame.url ? n.callFrame.url.replace(`file://${REPO_ROOT}`, '') : `(${n.callFrame.functionName || 'native'})`;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const w = where(byId.get(cur)!);
      if (seen.has(w)) continue;
      seen.add(w);
      inclusive.set(w, (inclusive.get(w) ?? 0) + us);
    }
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1)} %`;
  const top = (m: Map<string, number>, k: number): [string, number][] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
  console.log(`\nprofile: ${(total / 1e6).toFixed(2)} s sampled while dnsperf ran\n\nTop frames by self time:`);
  for (const [w, us] of top(bySelf, 30)) console.log(`  ${pct(us).padStart(7)}  ${w}`);
  console.log('\nTop frames by inclusive time (JS call stacks only):');
  for (const [w, us] of top(inclusive, 30)) console.log(`  ${pct(us).padStart(7)}  ${w}`);
  console.log('\nSelf time by file:');
  for (const [f, us] of top(byFile, 20)) console.log(`  ${pct(us).padStart(7)}  ${f}`);
}

async function main(): Promise<void> {
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-dns-profile-')));
  let upstream: Server | undefined;
  let gateway: Server | undefined;
  try {
    const d = loadDatasets();
    const spec = buildRuleSet(d, '100k');
    const q = writeQueryFiles(tmp, spec, d.popular);
    const dataDir = join(tmp, 'gateway');
    mkdirSync(dataDir);
    await writeGatewaySnapshot(dataDir, spec.rules, 1000);
    upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, await freePort()), { name: 'probe.example', rcode: 0 });
    const profDir = join(tmp, 'prof');
    mkdirSync(profDir);
    gateway = await startGateway('gateway (1 worker, --cpu-prof)', dataDir, 1, upstream.port, q.probeBlocked, {},
      ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    const file = MIX === 'allowed' ? q.allowed : MIX === 'mix' ? q.mix : q.blocked;
    if (MIX !== 'blocked') for (let p = 0; p < 2; p++) await dnsperf({ port: gateway.port, file: q.allowed, passes: 1, outstanding: 50 });
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const r = await dnsperf({ port: gateway.port, file, seconds: SECONDS });
    const toUs = Number(process.hrtime.bigint() / 1000n);
    console.log(`${MIX}: ${r.qps.toFixed(0)} qps, ${r.completed} answered, rcodes ${JSON.stringify(r.rcodes)}`);
    await gateway.stop();
    gateway = undefined;
    const profs = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (profs.length === 0) throw new Error('no .cpuprofile was written');
    // The biggest one is the process that served DNS (others: helpers).
    const biggest = profs.map((f) => join(profDir, f)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    if (KEEP) { mkdirSync(KEEP, { recursive: true }); copyFileSync(biggest, join(KEEP, `gateway-${MIX}-${basename(biggest)}`)); }
    analyse(JSON.parse(readFileSync(biggest, 'utf8')) as Profile, fromUs, toUs);
  } finally {
    await gateway?.stop().catch(() => undefined);
    await upstream?.stop().catch(() => undefined);
    removeDir(tmp);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});

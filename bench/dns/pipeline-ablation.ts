/**
 * Which parts of the gateway's UDP hot path cost what: the gateway's own pipeline modules
 * (parse, match, cache, BlockResponder, DnsMetrics, …) and its own UDP transport, served from
 * a child process over the 100k rule snapshot, with one part changed at a time:
 *
 *   as built         transports/udp.ts + buildStages() exactly as the gateway wires them
 *   no metrics       the same without the observe stage (prom-client counter + histogram per query)
 *   sync lookup      udp.ts with `dgram.createSocket({ lookup })` calling back synchronously
 *                    with the IP literal (no dns.lookup + process.nextTick per reply)
 *   both             the two changes together
 *
 * beside two references measured the same way in the same rounds: Unbound with the same rules as
 * RPZ, and a bare node:dgram server that answers NXDOMAIN by editing the query (the floor under
 * any Node UDP server here). Measured like dns-bench: answered queries per CPU-second of the
 * server process; all variants run at once and are measured round-robin, medians reported.
 *
 *   npx tsx bench/dns/pipeline-ablation.ts [--seconds 5] [--rounds 3]
 *
 * Nothing here changes the gateway's source; the variants are built in this file from its modules.
 */
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance as perf } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@tizilim/filter-gateway/logger';
import { Registry } from 'prom-client';
import { AnswerCache } from '@tizilim/filter-gateway/dns/cache/answer-cache';
import { BlockResponder } from '@tizilim/filter-gateway/dns/pipeline/block-responder';
import { buildStages, compose, type Pipeline } from '@tizilim/filter-gateway/dns/pipeline/build-pipeline';
import { Query } from '@tizilim/filter-gateway/dns/pipeline/types';
import { RuleSet } from '@tizilim/filter-gateway/dns/rules/rule-set';
import { parseUpstream } from '@tizilim/filter-gateway/dns/upstream/upstream-address';
import { UpstreamPool } from '@tizilim/filter-gateway/dns/upstream/upstream-pool';
import { CLASSIC_UDP_SIZE } from '@tizilim/filter-gateway/dns/wire/constants';
import { DnsMetrics } from '@tizilim/filter-gateway/observability/dns-metrics';
import { readSnapshotFile } from '@tizilim/filter-gateway/sync/snapshot-file';
import { dispatch } from '@tizilim/filter-gateway/transports/dispatch';
import { startUdp } from '@tizilim/filter-gateway/transports/udp';
import { CoarseClock } from '@tizilim/filter-gateway/util/clock';
import { Deadlines } from '@tizilim/filter-gateway/util/deadlines';
import { buildRuleSet, loadDatasets, writeQueryFiles } from './lib/datasets.js';
import { dnsperf, measured } from './lib/dnsperf.js';
import { freePort, loadAverage, removeDir, startProc, trackDir, type Proc } from './lib/procs.js';
import { REPO_ROOT, rpzUnboundConf, startUnbound, upstreamUnboundConf, writeGatewaySnapshot, writeRpzFile, type Server } from './lib/servers.js';
import { RCODE_NXDOMAIN, waitForRcode } from './lib/udp-query.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

/** udp.ts with one change: a lookup that hands the IP literal straight back. */
async function startUdpSyncLookup(host: string, port: number, pipeline: Pipeline, log: ReturnType<typeof createLogger>): Promise<void> {
  const sock = dgram.createSocket({
    type: 'udp4',
    lookup: (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void) => cb(null, address, 4),
  } as dgram.SocketOptions);
  sock.on('error', () => undefined);
  sock.on('message', (msg, rinfo) => {
    const q = new Query(msg, 'udp', CLASSIC_UDP_SIZE, perf.now());
    dispatch(pipeline, q, (chunks) => { if (chunks) sock.send(chunks, rinfo.port, rinfo.address); }, log);
  });
  await new Promise<void>((resolve) => sock.bind(port, host, () => resolve()));
}

async function serve(): Promise<void> {
  const [port, file, upstreamPort, metricsOn, syncLookup] = process.argv.slice(process.argv.indexOf('--serve') + 1);
  const log = createLogger('warn');
  const clock = new CoarseClock();
  clock.start();
  const deadlines = new Deadlines(clock);
  const rules = new RuleSet();
  const snap = await readSnapshotFile(file!);
  rules.replace(snap!.rules, snap!.version);
  const cache = new AnswerCache(100_000);
  const metrics = new DnsMetrics(new Registry(), () => cache.size);
  const pool = new UpstreamPool({ upstreams: [parseUpstream(`127.0.0.1:${upstreamPort}`)], attemptTimeoutMs: 1500, totalTimeoutMs: 4000 }, clock, deadlines);
  const responder = new BlockResponder({ mode: 'nxdomain', publicBaseUrl: 'https://register.example.kz' });
  let stages = buildStages({ rules, responder, cache, pool, clock, metrics });
  if (metricsOn === '0') stages = stages.filter((s) => s.name !== 'observe');
  const pipeline = compose(stages);
  if (syncLookup === '1') await startUdpSyncLookup('127.0.0.1', Number(port), pipeline, log);
  else await startUdp('127.0.0.1', Number(port), pipeline, log);
}

/** The bare floor: answers every query NXDOMAIN by editing its buffer, sends [buffer, SOA-sized filler]. */
const FLOOR_SERVER = `
const dgram = require('node:dgram');
const [port, syncLookup] = process.argv.slice(2).map(Number);
const soa = Buffer.alloc(60, 1);
const opts = { type: 'udp4' };
if (syncLookup) opts.lookup = (address, family, cb) => cb(null, address, 4);
const sock = dgram.createSocket(opts);
sock.on('message', (msg, rinfo) => {
  msg[2] |= 0x80; msg[3] = (msg[3] & 0xf0) | 3; msg[9] = 1;
  sock.send([msg, soa], rinfo.port, rinfo.address);
});
sock.bind(port, '127.0.0.1');
`;

interface Variant { label: string; port: number; pids: () => number[]; mixes: readonly ('blocked' | 'cached-allowed')[]; stop(): Promise<void> }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

async function drive(): Promise<void> {
  const SECONDS = Number(arg('seconds', '5'));
  const ROUNDS = Number(arg('rounds', '3'));
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-ablation-')));
  let upstream: Server | undefined;
  const variants: Variant[] = [];
  try {
    const d = loadDatasets();
    const spec = buildRuleSet(d, '100k');
    const q = writeQueryFiles(tmp, spec, d.popular);
    mkdirSync(join(tmp, 'gw'));
    const snap = await writeGatewaySnapshot(join(tmp, 'gw'), spec.rules, 1000);
    const rpzFile = join(tmp, 'rules.rpz');
    await writeRpzFile(rpzFile, spec.rules, 1000);
    const floorScript = join(tmp, 'floor.cjs');
    writeFileSync(floorScript, FLOOR_SERVER);
    upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, await freePort()), { name: 'probe.example', rcode: 0 });

    // Every variant runs at once (idle but for its turn) and is measured round-robin, so a
    // burst of other work on the machine hits each about equally; medians are reported.
    const ub = await startUnbound('unbound', tmp, rpzUnboundConf(tmp, await freePort(), upstream.port, rpzFile), { name: spec.exact[0]!, rcode: RCODE_NXDOMAIN });
    variants.push({ label: 'Unbound 1.17 RPZ, 1 thread', port: ub.port, pids: ub.pids, mixes: ['blocked', 'cached-allowed'], stop: () => ub.stop() });
    for (const [label, sync] of [['bare node:dgram, buffer list, default lookup', '0'], ['bare node:dgram, buffer list, sync lookup', '1']] as const) {
      const port = await freePort();
      const p = startProc(process.execPath, [floorScript, String(port), sync]);
      await waitForRcode(port, 'probe.example', 3, 10_000, p.alive);
      variants.push({ label, port, pids: () => [p.pid], mixes: ['blocked'], stop: () => p.stop() });
    }
    const self = fileURLToPath(import.meta.url);
    for (const [label, metricsOn, sync] of [
      ['gateway pipeline as built', '1', '0'], ['gateway, no metrics stage', '0', '0'],
      ['gateway, sync lookup', '1', '1'], ['gateway, no metrics + sync lookup', '0', '1'],
    ] as const) {
      const port = await freePort();
      const p: Proc = startProc(process.execPath, ['--import', 'tsx', self, '--serve', String(port), snap, String(upstream.port), metricsOn, sync], { cwd: REPO_ROOT });
      await waitForRcode(port, spec.exact[0]!, 3, 60_000, p.alive);
      variants.push({ label, port, pids: () => [p.pid], mixes: ['blocked', 'cached-allowed'], stop: () => p.stop() });
    }
    for (const v of variants) {
      if (v.mixes.includes('cached-allowed')) for (let i = 0; i < 2; i++) await dnsperf({ port: v.port, file: q.allowed, passes: 1, outstanding: 50 });
      await dnsperf({ port: v.port, file: q.blocked, seconds: 2 });
    }
    console.log(`hot-path ablation ${new Date().toISOString()}  node ${process.version}  load ${loadAverage()}  100k rules, `
      + `${ROUNDS} rounds × ${SECONDS} s per variant and mix, round-robin\n`);
    const results = new Map<string, { qpc: number[]; user: number[]; sys: number[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        for (const mix of v.mixes) {
          const r = await measured(v.pids, { port: v.port, file: mix === 'blocked' ? q.blocked : q.allowed, seconds: SECONDS });
          const key = `${v.label}|${mix}`;
          const acc = results.get(key) ?? { qpc: [], user: [], sys: [] };
          acc.qpc.push(r.qpsPerCore);
          acc.user.push((1e6 * r.serverUser) / r.completed);
          acc.sys.push((1e6 * r.serverSys) / r.completed);
          results.set(key, acc);
        }
      }
    }
    console.log('| variant | mix | QPS per busy core, median (min–max) | µs/answer user + kernel, median |');
    console.log('|---|---|---:|---:|');
    for (const [key, acc] of results) {
      const [label, mix] = key.split('|');
      console.log(`| ${label} | ${mix} | ${median(acc.qpc).toFixed(0)} (${Math.min(...acc.qpc).toFixed(0)}–${Math.max(...acc.qpc).toFixed(0)}) | ${median(acc.user).toFixed(1)} + ${median(acc.sys).toFixed(1)} |`);
    }
    console.log(`\nload average at the end ${loadAverage()}`);
  } finally {
    for (const v of variants) await v.stop().catch(() => undefined);
    await upstream?.stop().catch(() => undefined);
    removeDir(tmp);
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((err: unknown) => { console.error(err); process.exit(1); });
} else {
  drive().then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
  });
}

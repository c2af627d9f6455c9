/**
 * The gateway and Unbound (with the same rules as the register's RPZ export) side by side,
 * with the same dnsperf query files: all blocked, all cached-allowed, and a 90/10
 * allowed/blocked mix, at 100k and 1M rules.
 *
 *   npx tsx bench/dns/dns-bench.ts [--rules 100k|1m|both] [--seconds N] [--workers 1,2]
 *                                  [--udp batched,dgram] [--warm N] [--clients N]
 *                                  [--outstanding N] [--json FILE] [--ip-share 0.1]
 *                                  [--exception-share 0.01]
 *
 * `--ip-share` adds `ip`/`cidr` rules until they are that share of all rules (issue 13: 0.1);
 * the gateway checks every answer against them, Unbound gets them as rpz-ip triggers.
 * `--exception-share` adds exceptions (`domain` allow rules on names under suffix rules) until
 * they are that share of all rules (issue 13: 0.01); Unbound gets them as `CNAME rpz-passthru.`
 * with the cover wildcards the register's export writes. 1 % of the 90/10 mix's queries then
 * ask exception names (taken from the allowed 90 %), so its NXDOMAIN share stays 10 % only if
 * both servers answer them; each server is also probed once (exception NOERROR, a name under
 * it NXDOMAIN).
 *
 * `--udp` picks the gateway's UDP paths (GATEWAY_UDP_BATCH on / off): the recvmmsg/sendmmsg
 * addon and Node's dgram, side by side in the same run.
 *
 * dnsperf shares the machine's two cores with the server, so the figure compared is answered
 * queries per second per busy server core: answered queries / server CPU seconds, where the
 * server's CPU time (utime+stime from /proc/<pid>/stat, summed over the gateway's primary and
 * cluster workers) is sampled before and after each run. Everything listens on 127.0.0.1 and
 * nothing is configured to reach anything else; every child is killed and the temp dir removed
 * however the run ends.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addExceptionRules, addIpRules, buildRuleSet, loadDatasets, writeQueryFiles, type QueryFiles } from './lib/datasets.js';
import { dnsperf, measured, type MeasuredRun } from './lib/dnsperf.js';
import { freePort, loadAverage, removeDir, trackDir } from './lib/procs.js';
import {
  gatewayAnswerKinds, rpzUnboundConf, startGateway, startUnbound, upstreamUnboundConf,
  writeGatewaySnapshot, writeRpzFile, type Server,
} from './lib/servers.js';
import { RCODE_NOERROR, RCODE_NXDOMAIN, UdpAsker } from './lib/udp-query.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const SIZES = ((): ('100k' | '1m')[] => {
  const r = arg('rules', 'both').toLowerCase();
  if (r === '100k' || r === '1m') return [r];
  if (r === 'both') return ['100k', '1m'];
  throw new Error(`--rules must be 100k, 1m or both, not ${r}`);
})();
const SECONDS = Number(arg('seconds', '10'));
const WARM = Number(arg('warm', '2'));
const WORKERS = arg('workers', '1,2').split(',').map(Number).filter((n) => n > 0);
const UDP_PATHS = arg('udp', 'batched,dgram').split(',').map((p) => {
  if (p !== 'batched' && p !== 'dgram') throw new Error(`--udp takes batched and/or dgram, not ${p}`);
  return p;
});
const CLIENTS = Number(arg('clients', '4'));
const OUTSTANDING = Number(arg('outstanding', '200'));
const JSON_OUT = arg('json', '');
const IP_SHARE = Number(arg('ip-share', '0'));
if (!(IP_SHARE >= 0 && IP_SHARE < 1)) throw new Error('--ip-share must be 0 ≤ share < 1');
const EXCEPTION_SHARE = Number(arg('exception-share', '0'));
if (!(EXCEPTION_SHARE >= 0 && EXCEPTION_SHARE < 0.5)) throw new Error('--exception-share must be 0 ≤ share < 0.5');
if (!(SECONDS >= 1 && SECONDS <= 60)) throw new Error('--seconds must be 1…60');

type Mix = 'blocked' | 'cached-allowed' | 'mix 90/10';
const MIXES: Mix[] = ['blocked', 'cached-allowed', 'mix 90/10'];

interface Row {
  size: string;
  server: string;
  mix: Mix;
  run: MeasuredRun;
  kinds?: Record<string, number> | undefined;
}
interface LoadRow { size: string; server: string; loadS: number; rssLoadedMiB: number; rssAfterMiB: number; note: string }

const rows: Row[] = [];
const loads: LoadRow[] = [];
const fileFor = (q: QueryFiles, m: Mix): string => (m === 'blocked' ? q.blocked : m === 'cached-allowed' ? q.allowed : q.mix);

function expectRcodes(m: Mix, r: MeasuredRun): string {
  const nx = r.rcodes['NXDOMAIN'] ?? 0;
  const ok = r.rcodes['NOERROR'] ?? 0;
  const total = r.completed || 1;
  const share = nx / total;
  // With exceptions a blocked exception would lift the mix's share to 11 %: the band is narrower.
  const band = EXCEPTION_SHARE > 0 ? 0.005 : 0.02;
  const good = m === 'blocked' ? share > 0.999 : m === 'cached-allowed' ? ok / total > 0.999 : Math.abs(share - 0.1) < band;
  return good ? '' : ` UNEXPECTED rcodes ${JSON.stringify(r.rcodes)}`;
}

function kindDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) { const d = (b[k] ?? 0) - (a[k] ?? 0); if (d > 0) out[k] = d; }
  return out;
}

async function benchServer(size: string, s: Server, q: QueryFiles, metricsPort?: number): Promise<void> {
  const rssLoaded = s.rss();
  // Fill the caches. Cluster workers each have their own cache and the kernel hands each
  // datagram to whichever worker reads first, so the gateway gets passes over the allowed
  // names until a whole pass is answered from cache (its metrics say so), at most 12.
  for (let p = 0; p < 12; p++) {
    const k0 = metricsPort ? await gatewayAnswerKinds(metricsPort) : undefined;
    await dnsperf({ port: s.port, file: q.allowed, passes: 1, clients: CLIENTS, outstanding: 50 });
    if (!metricsPort || !k0) { if (p >= 1) break; continue; }
    const k = kindDelta(k0, await gatewayAnswerKinds(metricsPort));
    if ((k['forwarded'] ?? 0) === 0) break;
  }
  if (q.exceptions) {
    await dnsperf({ port: s.port, file: q.exceptions, passes: 1, clients: CLIENTS, outstanding: 50 });
    exceptionCheck(s, await probe(s.port, q.probeException!), await probe(s.port, q.probeUnderException!), q);
  }
  for (const m of MIXES) {
    if (WARM > 0) await dnsperf({ port: s.port, file: fileFor(q, m), seconds: WARM, clients: CLIENTS, outstanding: OUTSTANDING });
    const k0 = metricsPort ? await gatewayAnswerKinds(metricsPort) : undefined;
    const run = await measured(s.pids, { port: s.port, file: fileFor(q, m), seconds: SECONDS, clients: CLIENTS, outstanding: OUTSTANDING });
    const kinds = metricsPort && k0 ? kindDelta(k0, await gatewayAnswerKinds(metricsPort)) : undefined;
    rows.push({ size, server: s.name, mix: m, run, kinds });
    console.log(`  ${s.name.padEnd(22)} ${m.padEnd(15)} ${fmt(run.qps, 0).padStart(8)} qps  server cpu ${run.serverCpu.toFixed(2)} s  `
      + `${fmt(run.qpsPerCore, 0).padStart(8)} qps/core (µs/answer ${perAnswer(run)})  dnsperf cpu ${run.clientCpu.toFixed(2)} s  lost ${run.lost}`
      + `${kinds ? `  ${JSON.stringify(kinds)}` : ''}${expectRcodes(m, run)}`);
  }
  loads.push({ size, server: s.name, loadS: s.loadMs / 1000, rssLoadedMiB: rssLoaded, rssAfterMiB: s.rss(), note: '' });
}

const exceptionChecks: string[] = [];
const RCODE_NAMES: Record<number, string> = { [RCODE_NOERROR]: 'NOERROR', [RCODE_NXDOMAIN]: 'NXDOMAIN' };
async function probe(port: number, name: string): Promise<string> {
  const asker = new UdpAsker(port);
  try {
    const rc = await asker.ask(name, 2000);
    return rc === undefined ? 'no answer' : RCODE_NAMES[rc] ?? `rcode ${rc}`;
  } finally { asker.close(); }
}
function exceptionCheck(s: Server, exception: string, under: string, q: QueryFiles): void {
  const ok = exception === 'NOERROR' && under === 'NXDOMAIN';
  const line = `${s.name}: exception ${q.probeException} ${exception}, ${q.probeUnderException} ${under}${ok ? '' : ' UNEXPECTED'}`;
  exceptionChecks.push(line);
  console.log(`  ${line}`);
}

const perAnswer = (r: MeasuredRun): string => `${((1e6 * r.serverUser) / r.completed).toFixed(1)} + ${((1e6 * r.serverSys) / r.completed).toFixed(1)}`;
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');

function version(cmd: string, args: string[], re: RegExp): string {
  try { return re.exec(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? '?'; } catch (e) {
    const out = String((e as { stdout?: string }).stdout ?? '');
    return re.exec(out)?.[1] ?? '?';
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-dns-bench-')));
  console.log(`DNS bench ${started.toISOString()}  node ${process.version}  cores ${availableParallelism()}  load ${loadAverage()}`);
  console.log(`dnsperf ${version('dnsperf', ['-h'], /Version ([\d.]+)/)}, unbound ${version('/usr/sbin/unbound', ['-V'], /Version ([\d.]+)/)}; `
    + `${SECONDS} s per run (+${WARM} s warm-up), dnsperf -c ${CLIENTS} -q ${OUTSTANDING}; gateway workers ${WORKERS.join(',')}, UDP ${UDP_PATHS.join(',')}; temp ${tmp}`);
  const d = loadDatasets();
  let upstream: Server | undefined;
  const running = new Set<Server>();
  const howMade: Record<string, string> = {};
  try {
    const upPort = await freePort();
    upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, upPort), { name: 'probe.example', rcode: 0 });
    for (const size of SIZES) {
      const spec = buildRuleSet(d, size);
      addIpRules(spec, IP_SHARE);
      const exceptions = addExceptionRules(spec, EXCEPTION_SHARE);
      const q = writeQueryFiles(tmp, spec, d.popular, undefined, exceptions);
      howMade[size] = spec.howMade;
      console.log(`\n== ${size}: ${spec.rules.length.toLocaleString('en')} rules; ${spec.howMade}`);
      console.log(`   queries: ${q.blockedNames.toLocaleString('en')} distinct blocked, ${q.allowedNames.toLocaleString('en')} distinct allowed (Tranco names no rule blocks)`);
      const rpzFile = join(tmp, `tizilim-${size}.rpz`);
      let t = performance.now();
      await writeRpzFile(rpzFile, spec.rules, 1000);
      const rpzS = (performance.now() - t) / 1000;
      const dataDir = join(tmp, `gateway-${size}`);
      mkdirSync(dataDir, { recursive: true });
      t = performance.now();
      await writeGatewaySnapshot(dataDir, spec.rules, 1000);
      console.log(`   wrote RPZ in ${rpzS.toFixed(1)} s, gateway snapshot in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      spec.rules.length = 0; // let the bench process drop a million objects before the servers load

      const configs: (() => Promise<{ s: Server; metrics?: number }>)[] = [
        async () => {
          const port = await freePort();
          return { s: await startUnbound('unbound (1 thread)', tmp, rpzUnboundConf(tmp, port, upstream!.port, rpzFile), { name: q.probeBlocked, rcode: RCODE_NXDOMAIN }, 180_000) };
        },
        ...WORKERS.flatMap((w) => UDP_PATHS.map((udp) => async () => {
          const g = await startGateway(`gateway (${w} worker${w > 1 ? 's' : ''}, ${udp})`, dataDir, w, upstream!.port, q.probeBlocked,
            { GATEWAY_UDP_BATCH: udp === 'batched' ? 'on' : 'off' });
          return { s: g, metrics: g.ports.metrics };
        })),
      ];
      for (const start of configs) {
        const { s, metrics } = await start();
        running.add(s);
        console.log(`   ${s.name}: answering after ${(s.loadMs / 1000).toFixed(1)} s, RSS ${s.rss().toFixed(0)} MiB`);
        try {
          await benchServer(size, s, q, metrics);
        } finally {
          await s.stop();
          running.delete(s);
          if (s.name.startsWith('unbound')) {
            const stats = /server stats for thread 0: (\d+) queries, (\d+) answers from cache, (\d+) recursions/.exec(s.proc.output());
            if (stats) loads.at(-1)!.note = `Unbound's own count over all its runs: ${stats[1]} queries, ${stats[2]} from cache, ${stats[3]} recursions`;
          }
        }
      }
    }
  } finally {
    for (const s of running) await s.stop().catch(() => undefined);
    await upstream?.stop().catch(() => undefined);
    removeDir(tmp);
  }
  report(started, howMade);
}

function report(started: Date, howMade: Record<string, string>): void {
  const out: string[] = [];
  out.push(`\n### Measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, load average at the end ${loadAverage()}\n`);
  out.push('| rules | mix | server | answered QPS | server CPU s | QPS per busy core | server µs/answer user + kernel | dnsperf CPU s | lost | avg latency ms | rcodes |');
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const rc = Object.entries(r.run.rcodes).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`| ${r.size} | ${r.mix} | ${r.server} | ${fmt(r.run.completed / r.run.runSeconds)} | ${r.run.serverCpu.toFixed(2)} | ${fmt(r.run.qpsPerCore)} | ${perAnswer(r.run)} | ${r.run.clientCpu.toFixed(2)} | ${r.run.lost} | ${r.run.avgLatencyMs.toFixed(2)} | ${rc}${r.kinds ? `; gateway: ${Object.entries(r.kinds).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''} |`);
  }
  out.push('\nRatio gateway / Unbound, QPS per busy core (raw QPS ratio in brackets):\n');
  out.push('| rules | mix | ' + [...new Set(rows.filter((r) => r.server.startsWith('gateway')).map((r) => r.server))].join(' | ') + ' |');
  const gws = [...new Set(rows.filter((r) => r.server.startsWith('gateway')).map((r) => r.server))];
  out.push('|---|---|' + gws.map(() => '---:|').join(''));
  for (const size of SIZES) {
    for (const m of MIXES) {
      const u = rows.find((r) => r.size === size && r.mix === m && r.server.startsWith('unbound'));
      if (!u) continue;
      const cells = gws.map((g) => {
        const r = rows.find((x) => x.size === size && x.mix === m && x.server === g);
        return r ? `${(r.run.qpsPerCore / u.run.qpsPerCore).toFixed(2)} (${(r.run.qps / u.run.qps).toFixed(2)})` : '—';
      });
      out.push(`| ${size} | ${m} | ${cells.join(' | ')} |`);
    }
  }
  out.push('\nLoad (spawn → first NXDOMAIN for a rule) and memory (RSS summed over the server\'s processes):\n');
  out.push('| rules | server | ready after s | RSS loaded MiB | RSS after runs MiB | note |');
  out.push('|---|---|---:|---:|---:|---|');
  for (const l of loads) out.push(`| ${l.size} | ${l.server} | ${l.loadS.toFixed(1)} | ${l.rssLoadedMiB.toFixed(0)} | ${l.rssAfterMiB.toFixed(0)} | ${l.note} |`);
  out.push('');
  for (const [k, v] of Object.entries(howMade)) out.push(`Rules ${k}: ${v}.`);
  if (exceptionChecks.length > 0) out.push(`\nException probes (expected NOERROR, and NXDOMAIN below it):\n\n${exceptionChecks.map((l) => `- ${l}`).join('\n')}`);
  console.log(out.join('\n'));
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ started, rows: rows.map((r) => ({ ...r, run: { ...r.run, raw: undefined } })), loads, howMade }, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});

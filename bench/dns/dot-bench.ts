/**
 * DNS over TLS: the gateway's DoT listener against Unbound serving DoT, same rules (the
 * register's RPZ export for Unbound, IP/CIDR rules as rpz-ip), same dnsperf query files over
 * `dnsperf -m dot` (issue 13's goal: gateway/Unbound-DoT ≥ 1.0 answered QPS per busy core).
 *
 *   npx tsx bench/dns/dot-bench.ts [--seconds 10] [--warm 2] [--clients 4] [--outstanding 100]
 *                                  [--ip-share 0.1] [--workers 1]
 *
 * Both get the same self-signed P-256 certificate. Caches are filled over UDP first. Measured
 * as dns-bench measures: answered queries per CPU-second of the server's processes, dnsperf on
 * the same two cores. Loopback only; children stopped and the temp dir removed however it ends.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSelfSignedPair } from '@tizilim/filter-gateway/tls/self-signed';
import { addIpRules, buildRuleSet, loadDatasets, writeQueryFiles } from './lib/datasets.js';
import { dnsperf, measured, type MeasuredRun } from './lib/dnsperf.js';
import { freePort, loadAverage, removeDir, trackDir } from './lib/procs.js';
import { rpzUnboundConf, startGateway, startUnbound, upstreamUnboundConf, writeGatewaySnapshot, writeRpzFile, type Server } from './lib/servers.js';
import { RCODE_NXDOMAIN } from './lib/udp-query.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const SECONDS = Number(arg('seconds', '10'));
const WARM = Number(arg('warm', '2'));
const CLIENTS = Number(arg('clients', '4'));
const OUTSTANDING = Number(arg('outstanding', '100'));
const IP_SHARE = Number(arg('ip-share', '0.1'));
const WORKERS = Number(arg('workers', '1'));
if (!(SECONDS >= 1 && SECONDS <= 30)) throw new Error('--seconds must be 1…30');

type Mix = 'blocked' | 'cached-allowed' | 'mix 90/10';

async function main(): Promise<void> {
  const started = new Date();
  const tmp = trackDir(mkdtempSync(join(tmpdir(), 'tizilim-dot-bench-')));
  const running = new Set<Server>();
  const rows: { server: string; mix: Mix; run: MeasuredRun }[] = [];
  try {
    const d = loadDatasets();
    const spec = buildRuleSet(d, '100k');
    const q = writeQueryFiles(tmp, spec, d.popular);
    addIpRules(spec, IP_SHARE);
    console.log(`DoT bench ${started.toISOString()}  node ${process.version}  cores ${availableParallelism()}  load ${loadAverage()}`);
    console.log(`${spec.rules.length.toLocaleString('en')} rules: ${spec.howMade}; dnsperf -m dot -c ${CLIENTS} -q ${OUTSTANDING}, ${SECONDS} s per run`);
    const pair = await ensureSelfSignedPair(join(tmp, 'tls'));
    const rpzFile = join(tmp, 'tizilim.rpz');
    await writeRpzFile(rpzFile, spec.rules, 1000);
    const dataDir = join(tmp, 'gateway');
    mkdirSync(dataDir, { recursive: true });
    await writeGatewaySnapshot(dataDir, spec.rules, 1000);
    spec.rules.length = 0;

    const upstream = await startUnbound('upstream', tmp, upstreamUnboundConf(tmp, await freePort()), { name: 'probe.example', rcode: 0 });
    running.add(upstream);
    const unboundDot = await freePort();
    const unboundUdp = await freePort();
    const conf = rpzUnboundConf(tmp, unboundUdp, upstream.port, rpzFile).replace('server:\n', [
      'server:',
      `  interface: 127.0.0.1@${unboundDot}`,
      `  tls-port: ${unboundDot}`,
      `  tls-service-key: "${pair.keyFile}"`,
      `  tls-service-pem: "${pair.certFile}"`,
      '  incoming-num-tcp: 256',
      '  tcp-idle-timeout: 30000',
      '',
    ].join('\n'));
    const servers: { s: Server; dot: number }[] = [];
    const u = await startUnbound('unbound-DoT (1 thread)', tmp, conf, { name: q.probeBlocked, rcode: RCODE_NXDOMAIN }, 180_000);
    running.add(u);
    servers.push({ s: u, dot: unboundDot });
    const g = await startGateway(`gateway DoT (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, dataDir, WORKERS, upstream.port, q.probeBlocked, {
      GATEWAY_TLS_CERT: pair.certFile, GATEWAY_TLS_KEY: pair.keyFile, GATEWAY_UDP_BATCH: 'on',
      DNS_TCP_MAX_PER_CLIENT: '1024', DNS_TCP_IDLE_TIMEOUT_MS: '30000',
    });
    running.add(g);
    servers.push({ s: g, dot: g.ports.dot });

    for (const { s, dot } of servers) {
      for (let p = 0; p < 2; p++) await dnsperf({ port: s.port, file: q.allowed, passes: 1, clients: CLIENTS, outstanding: 50 });
      for (const m of ['blocked', 'cached-allowed', 'mix 90/10'] as Mix[]) {
        const file = m === 'blocked' ? q.blocked : m === 'cached-allowed' ? q.allowed : q.mix;
        if (WARM > 0) await dnsperf({ port: dot, mode: 'dot', file, seconds: WARM, clients: CLIENTS, outstanding: OUTSTANDING });
        const run = await measured(s.pids, { port: dot, mode: 'dot', file, seconds: SECONDS, clients: CLIENTS, outstanding: OUTSTANDING });
        rows.push({ server: s.name, mix: m, run });
        console.log(`  ${s.name.padEnd(24)} ${m.padEnd(15)} ${Math.round(run.qps).toLocaleString('en').padStart(8)} qps  server cpu ${run.serverCpu.toFixed(2)} s  `
          + `${Math.round(run.qpsPerCore).toLocaleString('en').padStart(8)} qps/core  dnsperf cpu ${run.clientCpu.toFixed(2)} s  lost ${run.lost}  ${JSON.stringify(run.rcodes)}`);
      }
    }
  } finally {
    for (const s of running) await s.stop().catch(() => undefined);
    removeDir(tmp);
  }
  const out = ['', `### DoT, measured ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, load average at the end ${loadAverage()}`, '',
    '| mix | server | answered QPS | server CPU s | QPS per busy core | dnsperf CPU s | lost | rcodes |', '|---|---|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(`| ${r.mix} | ${r.server} | ${Math.round(r.run.completed / r.run.runSeconds)} | ${r.run.serverCpu.toFixed(2)} | ${Math.round(r.run.qpsPerCore)} | ${r.run.clientCpu.toFixed(2)} | ${r.run.lost} | ${Object.entries(r.run.rcodes).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
  }
  out.push('', '| mix | gateway / Unbound-DoT, QPS per busy core (raw QPS) |', '|---|---:|');
  for (const m of ['blocked', 'cached-allowed', 'mix 90/10'] as Mix[]) {
    const u = rows.find((r) => r.mix === m && r.server.startsWith('unbound'));
    const g = rows.find((r) => r.mix === m && r.server.startsWith('gateway'));
    if (u && g) out.push(`| ${m} | ${(g.run.qpsPerCore / u.run.qpsPerCore).toFixed(2)} (${(g.run.qps / u.run.qps).toFixed(2)}) |`);
  }
  console.log(out.join('\n'));
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});

/**
 * Soak: mixed load on the register and the gateway for SOAK_MINUTES (default 30), sampled each
 * minute, with the drift between the start and the end of the run.
 *
 *   npm run bench -- soak                       30 minutes
 *   SOAK_MINUTES=6 npm run bench -- soak        shorter
 *   npx tsx bench/lifecycle/soak-bench.ts [--server=postgres://…] [--out=bench/lifecycle/results]
 *
 * Load, all the time: public checks (8 concurrent clients, half blocked names), a drafted and
 * approved decision every 5 s (every third a restoration of an earlier one), the gateway's
 * own feed long-poll plus 20 more long-pollers, and dnsperf on the gateway (2,000 queries/s,
 * half blocked names, the rest answered by a stub upstream on loopback).
 * Each minute: RSS and open descriptors of the API and gateway processes, their event-loop
 * delay p99 (prom-client's nodejs_eventloop_lag_p99_seconds), and the p99 latency of the
 * checks and of a 20/s DNS probe measured here. Writes soak.csv and soak.svg under --out.
 * Drift: mean of the first vs the last 5 minutes (minute 1, warm-up, left out; windows
 * shrink to half the run when it is shorter than 11 minutes). Goal (issue #10): ≤ 10 % in RSS
 * and in p99.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, dropBenchDatabase, DEFAULT_SERVER_URL } from '../register/seed-million.js';
import { COURT_RULING, addUsers, api, approveOne, processStats, quantile, repoRoot, startInstance, stopInstance, type Instance } from './register-instances.js';
import { soakChart } from './soak-chart.js';
import { GATEWAY_NODE_FLAGS } from '@tizilim/filter-gateway/node-flags';

const args = new Map(process.argv.slice(2).map((a) => { const [k, v] = a.replace(/^--/, '').split('='); return [k!, v ?? 'true'] as const; }));
const MINUTES = Number(process.env.SOAK_MINUTES ?? args.get('minutes') ?? 30);
const SERVER_URL = args.get('server') ?? DEFAULT_SERVER_URL;
const OUT = args.get('out') ?? join(repoRoot, 'bench/lifecycle/results');
const BLOCKED = 500;

const freePort = () => new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The upstream the gateway forwards allowed names to: one A record for anything, on loopback. */
function stubUpstream(): Promise<{ port: number; close(): void }> {
  const sock = createSocket('udp4');
  sock.on('message', (msg, from) => {
    if (msg.length < 17) return;
    let i = 12;
    while (i < msg.length && msg[i] !== 0) i += msg[i]! + 1;
    const qEnd = i + 5;
    if (qEnd > msg.length) return;
    const head = Buffer.from(msg.subarray(0, 12));
    head[2] = 0x81 | (msg[2]! & 0x01); head[3] = 0x80;
    head.writeUInt16BE(1, 4); head.writeUInt16BE(1, 6); head.writeUInt32BE(0, 8);
    const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    sock.send(Buffer.concat([head, msg.subarray(12, qEnd), answer]), from.port, from.address);
  });
  return new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve({ port: sock.address().port, close: () => sock.close() })));
}

/** A metric's value: `name` (its first series), or one series as `name{label="value"}`. */
async function metricValue(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(url)).text();
    const series = name.includes('{') ? name.replace(/[{}]/g, '\\$&') : `${name}(?:\\{[^}]*\\})?`;
    const m = new RegExp(`^${series} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const dbName = `tizilim_bench_soak_${process.pid}`;
  const databaseUrl = await createBenchDatabase(SERVER_URL, dbName);
  const children: ChildProcess[] = [];
  let register: Instance | undefined;
  let running = true;
  const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-soak-gateway-'));
  const upstream = await stubUpstream();
  try {
    register = await startInstance('soak', databaseUrl);
    const tokens = await addUsers(databaseUrl);
    const basis = (await api(register.url, 'POST', '/v1/legal-bases', tokens.operator, COURT_RULING)).body.id as string;
    const blocked = Array.from({ length: BLOCKED }, (_, i) => `b${i}.soak.example.kz`);
    for (let i = 0; i < BLOCKED; i += 100) await approveOne(register.url, tokens, basis, blocked.slice(i, i + 100));

    const ports = { dns: await freePort(), doh: await freePort(), metrics: await freePort(), sni: await freePort(), blockpage: await freePort() };
    const gateway = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, '--import', 'tsx', join(repoRoot, 'services/filter-gateway/src/main.ts')], {
      cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env, REGISTER_URL: register.url, ISP_TOKEN: tokens.isp, GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn',
        DNS_PORT: String(ports.dns), DOH_PORT: String(ports.doh), GATEWAY_METRICS_PORT: String(ports.metrics), SNI_PORT: String(ports.sni),
        BLOCKPAGE_PORT: String(ports.blockpage), UPSTREAMS: `127.0.0.1:${upstream.port}`,
      },
    });
    children.push(gateway);
    for (let i = 0; i < 300; i++) {
      if ((await fetch(`http://127.0.0.1:${ports.metrics}/readyz`).then((r) => r.status, () => 0)) === 200) break;
      await sleep(200);
    }

    // dnsperf for the whole run: half blocked names, half allowed (forwarded, then cached).
    const queryFile = join(dataDir, 'queries.txt');
    writeFileSync(queryFile, Array.from({ length: 4000 }, (_, i) => `${i % 2 ? blocked[i % BLOCKED] : `a${i}.allowed.example.net`} A`).join('\n') + '\n');
    const dnsperf = spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(ports.dns), '-d', queryFile, '-l', String(MINUTES * 60 + 30), '-Q', '2000', '-c', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(dnsperf);
    let dnsperfOut = '';
    dnsperf.stdout!.on('data', (d: Buffer) => (dnsperfOut += d.toString()));

    // Per-minute latency samples of this process's own probes.
    let checkLat: number[] = [];
    let dnsLat: number[] = [];
    let dnsLost = 0;
    let checkErrors = 0;
    let approvals = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const get = (url: string, headers: Record<string, string> = {}) => new Promise<number>((resolve) => {
      const req = http.get(url, { agent, headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.on('error', () => resolve(0));
    });
    const checkers = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; running; i++) {
        const name = i % 2 ? blocked[randomInt(BLOCKED)]! : `a${randomInt(1_000_000)}.allowed.example.net`;
        const t = performance.now();
        const status = await get(`${register!.url}/public/v1/check?name=${name}`);
        if (status !== 200) checkErrors++;
        checkLat.push(performance.now() - t);
        if (c === 0 && i % 50 === 0) await sleep(1);
      }
    });
    const approver = (async () => {
      const restrictable: string[] = [];
      for (let n = 0; running; n++) {
        try {
          if (n % 3 === 2 && restrictable.length > 0) {
            const value = restrictable.shift()!;
            const draft = await api(register!.url, 'POST', '/v1/decisions', tokens.operator, { action: 'restore', legalBasisId: basis, category: 'gambling', resources: [value] });
            await api(register!.url, 'POST', `/v1/decisions/${draft.body.id}/approve`, tokens.approver);
          } else {
            const value = `s${n}.soak.example.kz`;
            await approveOne(register!.url, tokens, basis, [value]);
            restrictable.push(value);
          }
          approvals++;
        } catch (err) {
          console.log(`approval failed: ${(err as Error).message}`);
        }
        await sleep(5000);
      }
    })();
    const pollers = Array.from({ length: 20 }, async () => {
      let since = 0;
      while (running) {
        try {
          const res = await fetch(`${register!.url}/v1/feed/changes?since=${since}&wait=25`, { headers: { authorization: `Bearer ${tokens.isp}` } });
          if (res.status === 200) since = ((await res.json()) as { to: number }).to;
          else { await res.text(); await sleep(1000); }
        } catch {
          await sleep(1000);
        }
      }
    });
    const probe = createSocket('udp4');
    const pending = new Map<number, number>();
    probe.on('message', (m) => { const t = pending.get(m.readUInt16BE(0)); if (t !== undefined) { pending.delete(m.readUInt16BE(0)); dnsLat.push(performance.now() - t); } });
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const probeTimer = setInterval(() => {
      const id = randomInt(0x10000);
      const name = randomInt(2) ? blocked[randomInt(BLOCKED)]! : `p${randomInt(1_000_000)}.allowed.example.net`;
      const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
      const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
      for (const [k, t] of pending) if (performance.now() - t > 2000) { pending.delete(k); dnsLost++; }
      pending.set(id, performance.now());
      probe.send(q, ports.dns, '127.0.0.1');
    }, 50);

    const header = 'minute,api_rss_mb,api_fds,api_loop_p99_ms,gw_rss_mb,gw_fds,gw_loop_p99_ms,check_p99_ms,check_count,dns_p99_ms,dns_count,dns_lost,approvals,check_errors,api_heap_mb,gw_heap_mb,gw_cache_entries,gw_external_mb,gw_array_buffers_mb,gw_new_space_mb';
    const rows: number[][] = [];
    console.log(`soak: ${MINUTES} min; ${cpus().length} cores shared with other work (load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
    console.log(header);
    for (let minute = 1; minute <= MINUTES; minute++) {
      await sleep(60_000);
      const api = processStats(register.pid);
      const gw = processStats(gateway.pid!);
      const gwMetrics = `http://127.0.0.1:${ports.metrics}/metrics`;
      const [apiLoop, gwLoop, apiHeap, gwHeap, gwCache, gwExternal, gwArrayBuffers, gwNewSpace] = await Promise.all([
        metricValue(`${register.url}/metrics`, 'nodejs_eventloop_lag_p99_seconds'),
        metricValue(gwMetrics, 'nodejs_eventloop_lag_p99_seconds'),
        // Heap and cache beside RSS: growth in RSS alone may be V8 not yet collecting, or the answer cache filling.
        metricValue(`${register.url}/metrics`, 'nodejs_heap_size_used_bytes'),
        metricValue(gwMetrics, 'nodejs_heap_size_used_bytes'),
        metricValue(gwMetrics, 'dns_cache_entries'),
        // Outside the heap: Buffers (array buffers) within V8's external memory. RSS growing with
        // these means buffers kept alive; growing without them, the allocator.
        metricValue(gwMetrics, 'nodejs_external_memory_bytes'),
        metricValue(gwMetrics, 'nodejs_array_buffers_bytes'),
        // V8's young generation, which it grows under allocation (GATEWAY_NODE_FLAGS pre-sizes it).
        metricValue(gwMetrics, 'nodejs_heap_space_size_total_bytes{space="new"}'),
      ]);
      const c = checkLat.sort((x, y) => x - y); checkLat = [];
      const d = dnsLat.sort((x, y) => x - y); dnsLat = [];
      const row = [minute, api.rss / 2 ** 20, api.fds, apiLoop * 1000, gw.rss / 2 ** 20, gw.fds, gwLoop * 1000, quantile(c, 0.99), c.length, quantile(d, 0.99), d.length, dnsLost, approvals, checkErrors, apiHeap / 2 ** 20, gwHeap / 2 ** 20, gwCache, gwExternal / 2 ** 20, gwArrayBuffers / 2 ** 20, gwNewSpace / 2 ** 20];
      rows.push(row);
      console.log(row.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(2))).join(','));
    }
    running = false;
    clearInterval(probeTimer);
    probe.close();
    dnsperf.kill('SIGINT');
    await new Promise((r) => dnsperf.once('exit', r));
    await Promise.race([Promise.all([...checkers, approver, ...pollers]), sleep(30_000)]);
    agent.destroy();

    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'soak.csv'), [header, ...rows.map((r) => r.map((v) => (Number.isInteger(v) ? String(v) : v.toFixed(3))).join(','))].join('\n') + '\n');
    writeFileSync(join(OUT, 'soak.svg'), soakChart(`Tizilim soak, ${MINUTES} min (shared 2-core machine)`, rows));

    // Drift: minute 1 is warm-up; windows of 5 minutes, or half of what is left when shorter.
    const steady = rows.slice(1);
    const w = Math.max(1, Math.min(5, Math.floor(steady.length / 2)));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const drift = (i: number) => {
      const first = mean(steady.slice(0, w).map((r) => r[i]!));
      const last = mean(steady.slice(-w).map((r) => r[i]!));
      return { first, last, pct: ((last - first) / first) * 100 };
    };
    console.log(`\ndrift, mean of minutes ${steady[0]?.[0]}–${steady[w - 1]?.[0]} vs ${steady.at(-w)?.[0]}–${steady.at(-1)?.[0]}:`);
    const goals: [string, number][] = [['register-api RSS', 1], ['filter-gateway RSS', 4], ['public check p99', 7], ['DNS probe p99', 9]];
    for (const [label, i] of [['register-api heap', 14], ['filter-gateway heap', 15], ['gateway cache', 16], ['gateway external', 17], ['gateway arraybuffers', 18], ['gateway new space', 19]] as const) {
      const d = drift(i);
      console.log(`  ${label.padEnd(20)} ${d.first.toFixed(1)} → ${d.last.toFixed(1)}  (not a goal; for reading RSS)`);
    }
    let met = true;
    for (const [label, i] of goals) {
      const d = drift(i);
      const ok = Math.abs(d.pct) <= 10 || d.pct < 0;
      met &&= ok;
      console.log(`  ${label.padEnd(20)} ${d.first.toFixed(1)} → ${d.last.toFixed(1)}  ${d.pct >= 0 ? '+' : ''}${d.pct.toFixed(1)} %  ${ok ? 'ok' : 'over 10 %'}`);
    }
    for (const [label, i] of [['register-api fds', 2], ['filter-gateway fds', 5]] as const) {
      const d = drift(i);
      console.log(`  ${label.padEnd(20)} ${d.first.toFixed(0)} → ${d.last.toFixed(0)}`);
    }
    console.log(`goal drift ≤ 10 % in RSS and p99: ${met ? 'met' : 'not met'}; approvals ${approvals}, check errors ${checkErrors}, DNS probes lost ${dnsLost}`);
    const summary = /Queries completed:.*|Queries lost:.*|Queries per second:.*|Average Latency.*/g;
    console.log(`dnsperf: ${(dnsperfOut.match(summary) ?? []).map((s) => s.trim()).join('; ')}`);
    console.log(`wrote ${join(OUT, 'soak.csv')} and soak.svg`);
  } finally {
    running = false;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    if (register) await stopInstance(register);
    upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropBenchDatabase(SERVER_URL, dbName);
  }
}

await main();
process.exit();

/**
 * Runs every benchmark in sequence, each as a child process with a time bound, prints their
 * output as it comes, and ends with a summary of which ran, passed, failed, timed out or were
 * skipped.
 *
 *   npm run bench                      every benchmark
 *   npm run bench -- register dns      only those named (names below)
 *   npm run bench -- --list            the names, commands and bounds
 *   npm run bench -- --help
 *
 * Bounds (the child is stopped with SIGTERM, then SIGKILL 10 s later, when it runs over):
 *   matcher    node --expose-gc --import tsx bench/matcher/matcher-bench.ts      5 min
 *   sni        tsx bench/sni/sni-bench.ts                                         3 min
 *   blockpage  tsx bench/sni/blockpage-bench.ts                                   2 min
 *   register   tsx bench/register/register-bench.ts (seeds 1M rules in Postgres) 20 min
 *   dns        tsx bench/dns/dns-bench.ts (batched and dgram UDP, 1 and 2 workers) 20 min
 *   quic       tsx bench/quic/quic-bench.ts (Initials parsed and decided per CPU-second) 2 min
 *   rpz        node --expose-gc --import tsx bench/rpz/rpz-xfr-bench.ts           10 min
 *   ip-policy  tsx bench/dns/ip-policy-bench.ts (IP/CIDR rules, in one process)    3 min
 *   dot        tsx bench/dns/dot-bench.ts (gateway vs Unbound over DoT)             8 min
 *   tlog       tsx bench/tlog/tlog-bench.ts (seeds 1M entries; proofs, tiles, witness) 25 min
 *   fanout     tsx bench/lifecycle/fanout-bench.ts (1,000 long-polling gateways)  10 min
 *   soak       tsx bench/lifecycle/soak-bench.ts (SOAK_MINUTES, default 30)       SOAK_MINUTES + 5 min
 *   web        tsx bench/web/web-bench.ts (public web pages beside their JSON routes, 1M rules) 20 min
 * Whole run: about 30–35 minutes on a 2-core machine (the register bench alone ~10 min, most
 * of it the 1M-row seed; the DNS bench ~13 min); at most the sum of the bounds, 50 minutes. Arguments after `--` that start with `--`
 * are not passed on; set each benchmark's own environment variables instead (e.g.
 * SNI_BENCH_SECONDS) or run it directly for its options.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(benchDir, '..');

interface Bench { name: string; file: string; nodeArgs: string[]; args: string[]; boundMinutes: number; what: string }

const BENCHES: Bench[] = [
  { name: 'matcher', file: 'matcher/matcher-bench.ts', nodeArgs: ['--expose-gc'], args: [], boundMinutes: 5, what: 'rule matcher micro-benchmark (100k and 1M rules)' },
  { name: 'sni', file: 'sni/sni-bench.ts', nodeArgs: [], args: [], boundMinutes: 3, what: 'SNI checker, new TLS connections per second' },
  { name: 'blockpage', file: 'sni/blockpage-bench.ts', nodeArgs: [], args: [], boundMinutes: 2, what: '451 block page under autocannon' },
  { name: 'register', file: 'register/register-bench.ts', nodeArgs: [], args: [], boundMinutes: 20, what: 'register API on Postgres with 1M rules: check, entries, export, snapshot, approve → visible' },
  { name: 'dns', file: 'dns/dns-bench.ts', nodeArgs: [], args: [], boundMinutes: 20, what: 'DNS gateway (batched and dgram UDP) and Unbound under dnsperf, 100k and 1M rules' },
  { name: 'quic', file: 'quic/quic-bench.ts', nodeArgs: [], args: [], boundMinutes: 2, what: 'QUIC Initial checker: Initials parsed and decided per CPU-second' },
  { name: 'rpz', file: 'rpz/rpz-xfr-bench.ts', nodeArgs: ['--expose-gc'], args: [], boundMinutes: 10, what: 'RPZ primary: AXFR of 1M rules, IXFR of one change, approve → enforced in BIND, Unbound, PowerDNS' },
  { name: 'ip-policy', file: 'dns/ip-policy-bench.ts', nodeArgs: [], args: [], boundMinutes: 3, what: 'matcher and pipeline with and without 10 % IP/CIDR rules, one process' },
  { name: 'dot', file: 'dns/dot-bench.ts', nodeArgs: [], args: [], boundMinutes: 8, what: 'DoT: gateway vs Unbound-DoT under dnsperf -m dot, 100k rules + 10 % IP/CIDR' },
  { name: 'tlog', file: 'tlog/tlog-bench.ts', nodeArgs: [], args: [], boundMinutes: 25, what: 'transparency log with 1M entries: inclusion proofs, tiles, checkpoint, witness catching a rollback' },
  { name: 'fanout', file: 'lifecycle/fanout-bench.ts', nodeArgs: [], args: [], boundMinutes: 10, what: '1,000 simulated gateways long-polling two API processes: approve → all have it, p99' },
  { name: 'soak', file: 'lifecycle/soak-bench.ts', nodeArgs: [], args: [], boundMinutes: Number(process.env.SOAK_MINUTES ?? 30) + 5, what: 'mixed load on register and gateway for SOAK_MINUTES (30): RSS, fds, event-loop delay, p99 per minute; drift' },
  { name: 'web', file: 'web/web-bench.ts', nodeArgs: [], args: [], boundMinutes: 20, what: 'public web pages (entry, search) beside their JSON routes on Postgres with 1M rules' },
];

interface Outcome { name: string; status: 'ok' | 'failed' | 'timed out' | 'skipped'; seconds: number; detail: string }

function run(b: Bench): Promise<Outcome> {
  const path = join(benchDir, b.file);
  if (!existsSync(path)) return Promise.resolve({ name: b.name, status: 'skipped', seconds: 0, detail: `${b.file} does not exist` });
  const argv = [...b.nodeArgs, '--import', 'tsx', path, ...b.args];
  console.log(`\n=== ${b.name}: node ${argv.join(' ')}   (bound ${b.boundMinutes} min)\n`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`\n=== ${b.name}: over its ${b.boundMinutes} min bound, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 10_000).unref();
    }, b.boundMinutes * 60_000);
    child.on('error', (err) => { clearTimeout(timer); current = null; resolve({ name: b.name, status: 'failed', seconds: (performance.now() - t0) / 1000, detail: err.message }); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      current = null;
      const seconds = (performance.now() - t0) / 1000;
      if (timedOut) resolve({ name: b.name, status: 'timed out', seconds, detail: `stopped after ${b.boundMinutes} min` });
      else if (code === 0) resolve({ name: b.name, status: 'ok', seconds, detail: '' });
      else resolve({ name: b.name, status: 'failed', seconds, detail: signal ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}

let current: ReturnType<typeof spawn> | null = null;
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupted = true;
    // The child cleans up (its servers, its database) on SIGTERM.
    if (current && current.exitCode === null) current.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--list')) {
    if (!argv.includes('--list')) console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]);
    for (const b of BENCHES) console.log(`  ${b.name.padEnd(10)} ${String(b.boundMinutes).padStart(3)} min  ${b.file}${existsSync(join(benchDir, b.file)) ? '' : ' (absent)'}  — ${b.what}`);
    return;
  }
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length ? BENCHES.filter((b) => names.includes(b.name)) : BENCHES;
  const bound = selected.reduce((s, b) => s + b.boundMinutes, 0);
  console.log(`benchmarks: ${selected.map((b) => b.name).join(', ')} — at most ${bound} min in all; ${new Date().toISOString()}`);
  const outcomes: Outcome[] = [];
  for (const b of selected) {
    if (interrupted) { outcomes.push({ name: b.name, status: 'skipped', seconds: 0, detail: 'interrupted' }); continue; }
    outcomes.push(await run(b));
  }
  console.log('\n=== summary');
  for (const o of outcomes) console.log(`  ${o.name.padEnd(10)} ${o.status.padEnd(9)} ${o.seconds.toFixed(0).padStart(5)} s  ${o.detail}`);
  const bad = outcomes.filter((o) => o.status === 'failed' || o.status === 'timed out');
  console.log(`${outcomes.filter((o) => o.status === 'ok').length} ran ok, ${bad.length} failed or timed out, ${outcomes.filter((o) => o.status === 'skipped').length} skipped`);
  process.exitCode = bad.length || interrupted ? 1 : 0;
}

await main();

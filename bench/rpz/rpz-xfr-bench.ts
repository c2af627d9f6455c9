/**
 * The gateway's RPZ primary (issue #15 goals):
 *   axfr         AXFR of 1M rules: wall time (goal ≤ 10 s), largest message (≤ 64 KB), and the
 *                server's memory during the transfer against before it (goal: flat)
 *   ixfr         IXFR of one change on the 1M-rule zone, request to last byte (goal ≤ 10 ms),
 *                with an SOA control in the same rounds and the garbage collector's pauses
 *   busy         IXFR of one change while an AXFR streams to a client that does not read
 *   journal      the exact journal at 1M: memory of the rules-below index, the time a change
 *                takes to become a journal step (a name, a suffix, an exception under it, a
 *                suffix over a name with rules below, which passes over the rule map once)
 *   propagation  approve in the register → NXDOMAIN from BIND, Unbound and PowerDNS Recursor
 *                subscribed to one gateway (goal p99 ≤ 2 s each)
 *
 *   npx tsx bench/rpz/rpz-xfr-bench.ts [axfr] [ixfr] [propagation] [--rules 1000000] [--n 40]
 *
 * axfr and ixfr run the primary in this process over the same code the gateway runs
 * (RpzZone over a rule map shaped like the sync engine's, XfrServer), with a raw TCP client
 * that counts bytes and keeps nothing. Loopback only; every child is stopped at the end.
 */
import net from 'node:net';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { FeedRule } from '@tizilim/shared';
import { RpzZone } from '../../services/filter-gateway/src/rpz-xfr/rpz-zone.js';
import { RuleNamesBelow } from '../../services/filter-gateway/src/rpz-xfr/rule-names-below.js';
import { ReplayGuard } from '../../services/filter-gateway/src/rpz-xfr/tsig.js';
import { XfrAccessList } from '../../services/filter-gateway/src/rpz-xfr/xfr-access.js';
import { XfrMetrics } from '../../services/filter-gateway/src/rpz-xfr/xfr-metrics.js';
import { XfrServer } from '../../services/filter-gateway/src/rpz-xfr/xfr-server.js';
import { nameToWire } from '../../services/filter-gateway/src/rpz-xfr/wire-names.js';
import type { SyncUpdate } from '../../services/filter-gateway/src/sync/sync-engine.js';
import { runPropagation } from './rpz-propagation.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const RULES = Number(arg('rules', '1000000'));
const N = Number(arg('n', '40'));
const cases = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const want = (c: string): boolean => cases.length === 0 || cases.includes(c);
const ZONE = 'rpz.tizilim.';
const MiB = (n: number): string => (n / 1048576).toFixed(1);

class BenchRules {
  readonly rules = new Map<string, FeedRule>();
  version = 1;
  readonly #fns = new Set<(u: SyncUpdate) => void>();
  onUpdate(fn: (u: SyncUpdate) => void): () => void { this.#fns.add(fn); return () => this.#fns.delete(fn); }
  change(r: FeedRule): void {
    const key = `${r.kind} ${r.value}`;
    const before = this.rules.get(key);
    this.rules.set(key, r);
    const from = this.version++;
    for (const f of this.#fns) f({ kind: 'changes', from, to: this.version, steps: [{ before, after: r }] });
  }
  remove(key: string): void {
    const before = this.rules.get(key);
    this.rules.delete(key);
    const from = this.version++;
    for (const f of this.#fns) f({ kind: 'changes', from, to: this.version, steps: [{ before, after: undefined }] });
  }
}

function query(qtype: number, serial?: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x4242, 0);
  h.writeUInt16BE(1, 4);
  const q = Buffer.concat([nameToWire(ZONE), Buffer.from([0, qtype, 0, 1])]);
  if (serial === undefined) return frame(Buffer.concat([h, q]));
  h.writeUInt16BE(1, 8);
  const soa = Buffer.alloc(34);
  soa.writeUInt16BE(0xc00c, 0); soa.writeUInt16BE(6, 2); soa.writeUInt16BE(1, 4); soa.writeUInt16BE(22, 10);
  soa.writeUInt32BE(serial, 14);
  return frame(Buffer.concat([h, q, soa]));
}
function frame(m: Buffer): Buffer { const l = Buffer.alloc(2); l.writeUInt16BE(m.length); return Buffer.concat([l, m]); }

/** Sends one transfer request; resolves when the closing SOA (2nd SOA at the end) arrives. Keeps counts only. */
function transfer(port: number, req: Buffer): Promise<{ ms: number; messages: number; bytes: number; records: number; largest: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect(port, '127.0.0.1', () => s.write(req));
    let pending: Buffer = Buffer.alloc(0);
    let messages = 0; let bytes = 0; let records = 0; let largest = 0;
    s.on('data', (d: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const len = pending.readUInt16BE(0);
        const m = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        messages++; bytes += len; largest = Math.max(largest, len);
        records += m.readUInt16BE(6);
        if (isLastMessage(m)) { s.destroy(); resolve({ ms: performance.now() - t0, messages, bytes, records, largest }); return; }
      }
    });
    s.on('error', reject);
  });
}
/** Last message of a transfer: its final record is an SOA whose serial equals the first SOA's (checked by position here: the SOA rdata ends the message). */
let lastSerial = 0;
function isLastMessage(m: Buffer): boolean {
  // SOA rdata is 20 bytes of numbers after two names; the trailing 20 bytes of the last message are the closing SOA's.
  const serial = m.readUInt32BE(m.length - 20);
  const refresh = m.readUInt32BE(m.length - 16);
  return refresh === 300 && serial === lastSerial && m.readUInt16BE(6) > 0 && m.readUInt32BE(m.length - 8) === 604800;
}

async function xfrCases(): Promise<void> {
  console.log(`building ${RULES.toLocaleString()} rules (5 % suffixes) …`);
  const rules = new BenchRules();
  for (let i = 0; i < RULES; i++) {
    const r: FeedRule = { id: `r${i}`, kind: i % 20 === 0 ? 'domain_suffix' : 'domain', value: `host-${i.toString(36)}.site${i % 5003}.kz`, mode: 'restrict', entry: i + 1 };
    rules.rules.set(`${r.kind} ${r.value}`, r);
  }
  const log = pino({ level: 'warn' });
  const registry = new Registry();
  const zone = new RpzZone(ZONE, rules, { maxSteps: 10_000, maxRecords: 200_000 });
  const metrics = new XfrMetrics(registry, zone, () => Date.now());
  const server = new XfrServer({ zone, origin: ZONE, originWireLength: nameToWire(ZONE).length, keys: new Map(), access: new XfrAccessList('127.0.0.0/8'), replay: new ReplayGuard(), metrics, log }, log);
  const port = await server.listen('127.0.0.1', 0);
  lastSerial = zone.serial!;

  if (want('axfr')) {
    for (let run = 1; run <= 3; run++) {
      global.gc?.();
      const before = process.memoryUsage();
      let peakRss = before.rss; let peakHeap = before.heapUsed;
      const sampler = setInterval(() => { const m = process.memoryUsage(); peakRss = Math.max(peakRss, m.rss); peakHeap = Math.max(peakHeap, m.heapUsed); }, 50);
      const cpu0 = process.cpuUsage();
      const r = await transfer(port, query(252));
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      console.log(`axfr run ${run}: ${(r.ms / 1000).toFixed(2)} s (process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, load ${os.loadavg()[0]!.toFixed(1)}), ${r.records.toLocaleString()} records, ${r.messages} messages, ${MiB(r.bytes)} MiB, largest message ${r.largest} B; ` +
        `server heap ${MiB(before.heapUsed)} → peak ${MiB(peakHeap)} MiB (+${MiB(peakHeap - before.heapUsed)}), RSS ${MiB(before.rss)} → peak ${MiB(peakRss)} MiB (+${MiB(peakRss - before.rss)})`);
    }
  }
  if (want('ixfr')) {
    // Control, interleaved with the IXFRs: an SOA query over a fresh TCP connection (the same
    // path with nothing to look up), so the machine's and the GC's share of the tail shows.
    const times: number[] = [];
    const control: number[] = [];
    const covered: number[] = [];
    let sizes = 0;
    // Pauses of the collector while the rounds run: the tail is theirs when they line up.
    const gcs: number[] = [];
    const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push(e.duration); });
    gcObserver.observe({ entryTypes: ['gc'] });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < 300; i++) {
      const from = rules.version;
      rules.change({ id: `n${i}`, kind: 'domain', value: `fresh-${i}.example.kz`, mode: 'restrict', entry: RULES + i });
      lastSerial = zone.serial!;
      const r = await transfer(port, query(251, from));
      times.push(r.ms); sizes = r.bytes;
      if (r.messages !== 1 || r.records !== 5) throw new Error(`IXFR of one change was ${r.messages} messages, ${r.records} records`);
      control.push((await transfer(port, query(6))).ms);
      if (i % 10 === 0) {
        // An exception under a suffix rule: the name's passthru and its cover wildcard, one message.
        const f = rules.version;
        rules.change({ id: `e${i}`, kind: 'domain', value: `www.host-${(i * 20).toString(36)}.site${(i * 20) % 5003}.kz`, mode: 'allow', entry: RULES + 1000 + i });
        lastSerial = zone.serial!;
        const c = await transfer(port, query(251, f));
        if (c.messages !== 1 || c.records !== 6) throw new Error(`IXFR of an exception was ${c.messages} messages, ${c.records} records`);
        covered.push(c.ms);
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    gcObserver.disconnect();
    const stats = (xs: number[]): string => {
      xs.sort((a, b) => a - b);
      const p = (q: number): string => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!.toFixed(2);
      return `median ${p(0.5)} ms, p90 ${p(0.9)} ms, p99 ${p(0.99)} ms, max ${xs.at(-1)!.toFixed(2)} ms`;
    };
    console.log(`ixfr of one change on ${RULES.toLocaleString()} rules, 300 runs: ${stats(times)}; one message of ${sizes} B, 5 records`);
    console.log(`control, SOA over a fresh TCP connection, same 300 rounds: ${stats(control)}`);
    console.log(`ixfr of an exception under a suffix (passthru + cover wildcard, 6 records, one message), ${covered.length} runs: ${stats(covered)}`);
    // The server's own share: the primary's duration histogram (query parsed → last message
    // handed to the socket), without connection setup or the client's turn on the CPU.
    const hist = (await registry.getSingleMetric('rpz_xfr_transfer_seconds')?.get())?.values ?? [];
    const bucket = (le: number | string): number => hist.find((v) => v.labels.kind === 'ixfr' && v.labels.le === le && (v as { metricName?: string }).metricName?.endsWith('_bucket'))?.value ?? 0;
    const total = bucket('+Inf');
    console.log(`server side (rpz_xfr_transfer_seconds, kind=ixfr): ${total} answers, ≤ 1 ms ${bucket(0.001)}, ≤ 5 ms ${bucket(0.005)}, ≤ 10 ms ${bucket(0.01)}, ≤ 50 ms ${bucket(0.05)}`);
    gcs.sort((a, b) => a - b);
    console.log(`collector during the rounds: ${gcs.length} pauses, ${gcs.reduce((a, b) => a + b, 0).toFixed(1)} ms in all, longest ${(gcs.at(-1) ?? 0).toFixed(1)} ms; ` +
      `process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms over ${wall.toFixed(0)} ms (client and server share the process)`);
  }
  if (want('busy')) {
    // IXFR while a whole-zone transfer streams to a client that does not read: the transfer
    // must yield between messages, or the IXFR waits until the kernel's buffer is full.
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const slow = net.connect(port, '127.0.0.1');
      slow.pause();
      await new Promise((r) => slow.once('connect', r));
      slow.write(query(252));
      const from = rules.version;
      rules.change({ id: `b${i}`, kind: 'domain', value: `busy-${i}.example.kz`, mode: 'restrict', entry: RULES + 2000 + i });
      lastSerial = zone.serial!;
      times.push((await transfer(port, query(251, from))).ms);
      slow.destroy();
      await new Promise((r) => setTimeout(r, 300));
    }
    times.sort((a, b) => a - b);
    console.log(`ixfr of one change while an AXFR streams to a client that does not read, 10 runs: median ${times[5]!.toFixed(1)} ms, max ${times[9]!.toFixed(1)} ms (load ${os.loadavg()[0]!.toFixed(1)})`);
  }
  if (want('journal')) await journalCase(rules, zone);
  await server.close();
  zone.close();
}

/** The exact journal's costs at this size: index memory and build time, and per-change work. */
async function journalCase(rules: BenchRules, zone: RpzZone): Promise<void> {
  const heap = (): number => { global.gc?.(); global.gc?.(); return process.memoryUsage().heapUsed; };
  const h0 = heap();
  const index = new RuleNamesBelow();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  index.rebuild(rules.rules.values());
  const built = performance.now() - t0;
  const builtCpu = process.cpuUsage(c0);
  const h1 = heap();
  console.log(`rules-below index over ${rules.rules.size.toLocaleString()} rules: ${index.size.toLocaleString()} names, built in ${built.toFixed(0)} ms (CPU ${((builtCpu.user + builtCpu.system) / 1000).toFixed(0)} ms), ` +
    `heap +${MiB(h1 - h0)} MiB${global.gc ? '' : ' (run with --expose-gc for a reliable figure)'}`);
  // A harder shape for the index: every rule under a parent of its own (www.<name>.kz), so
  // there are as many names with rules below as rules. The rules exist before the index (as
  // in the gateway), so the figure is the index's own: map entries and the sliced names.
  const distinct: FeedRule[] = [];
  for (let i = 0; i < rules.rules.size; i++) distinct.push({ id: `w${i}`, kind: 'domain', value: `www.name-${i.toString(36)}.zone${i % 5003}.kz`, mode: 'restrict', entry: i });
  // Flat strings, as JSON.parse gives the gateway: a template literal is a rope that the index's
  // first indexOf would flatten, freeing the rope and making the index look smaller than nothing.
  let flat = 0;
  for (const r of distinct) flat += r.value.indexOf('.');
  const wide = new RuleNamesBelow();
  const h2 = heap();
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  wide.rebuild(distinct);
  const builtWide = performance.now() - t2;
  const builtWideCpu = process.cpuUsage(c2);
  const h3 = heap();
  console.log(`rules-below index, every rule under its own parent (www.name-<n>.zone<k>.kz): ${wide.size.toLocaleString()} names, built in ${builtWide.toFixed(0)} ms (CPU ${((builtWideCpu.user + builtWideCpu.system) / 1000).toFixed(0)} ms), heap +${MiB(h3 - h2)} MiB ` +
    `(${((h3 - h2) / wide.size).toFixed(0)} B a name); first index still holds ${index.size} names`);
  distinct.length = 0;
  wide.rebuild([]);
  const timed = (label: string, apply: () => void): void => {
    const t = performance.now();
    const c = process.cpuUsage();
    apply();
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(c);
    const step = zone.journal.since(rules.version - 1)?.[0];
    console.log(`journal step for ${label}: ${ms.toFixed(2)} ms (CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms), ${step ? `${step.deleted.length} deleted + ${step.added.length} added` : 'no step (over the record cap)'}`);
  };
  timed('a name with no suffix above', () => rules.change({ id: 'j1', kind: 'domain', value: 'journal-a.other.kz', mode: 'restrict', entry: 1 }));
  timed('a new suffix over nothing', () => rules.change({ id: 'j2', kind: 'domain_suffix', value: 'journal-b.other.kz', mode: 'restrict', entry: 2 }));
  timed('an exception under that suffix', () => rules.change({ id: 'j3', kind: 'domain', value: 'www.journal-b.other.kz', mode: 'allow', entry: 3 }));
  timed('a suffix over a name with rules below (one pass over the rule map)', () => rules.change({ id: 'j4', kind: 'domain_suffix', value: 'site7.kz', mode: 'restrict', entry: 4 }));
  timed('that suffix removed (one pass again)', () => rules.remove('domain_suffix site7.kz'));
  timed('an exception removed', () => rules.remove('domain www.journal-b.other.kz'));
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (shared machine)`);
  if (want('axfr') || want('ixfr') || want('busy') || want('journal')) await xfrCases();
  if (want('propagation')) await runPropagation(N);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });

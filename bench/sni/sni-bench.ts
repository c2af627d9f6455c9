/**
 * New TLS connections per second through the SNI checker, blocked and allowed, against a
 * local TLS origin. Run: `npx tsx bench/sni/sni-bench.ts` (SNI_BENCH_SECONDS, default 10,
 * per case; SNI_BENCH_CONCURRENCY, default 32).
 *
 * Client, checker and origin share this process (and its one event loop): the figures are a
 * floor for the checker, whose share of the CPU is measured separately by the `raw` cases,
 * where the client only writes a recorded ClientHello and reads the answer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher } from '@tizilim/shared';
import { createSniChecker } from '@tizilim/filter-gateway/sni/sni-checker';

const SECONDS = Number(process.env['SNI_BENCH_SECONDS'] ?? 10);
const CONCURRENCY = Number(process.env['SNI_BENCH_CONCURRENCY'] ?? 32);
const DATASETS = new URL('../../../shared/datasets/', import.meta.url);

function makeCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sni-bench-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=allowed.test', '-addext', 'subjectAltName=DNS:allowed.test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** A recorded Chrome hello from the corpus with its server_name swapped for `name`. */
function helloFor(name: string): Buffer {
  const rows = readFileSync(new URL('tls-clienthellos-utls.tsv', DATASETS), 'utf8').split('\n');
  const row = rows.find((l) => l.startsWith('Client-TLSv12-UTLS-AES128-GCM-SHA256-Chrome-70\t'))!;
  const rec = Buffer.from(row.split('\t').at(-1)!, 'hex');
  const body = rec.subarray(9);
  let p = 34;
  p += 1 + body[p]!;
  p += 2 + body.readUInt16BE(p);
  p += 1 + body[p]!;
  const end = p + 2 + body.readUInt16BE(p);
  const exts: Buffer[] = [];
  for (let q = p + 2; q < end;) {
    const len = body.readUInt16BE(q + 2);
    if (body.readUInt16BE(q) !== 0) exts.push(body.subarray(q, q + 4 + len));
    q += 4 + len;
  }
  const n = Buffer.from(name);
  const sni = Buffer.alloc(9);
  sni.writeUInt16BE(0, 0); sni.writeUInt16BE(5 + n.length, 2); sni.writeUInt16BE(3 + n.length, 4); sni.writeUInt16BE(n.length, 7);
  const all = Buffer.concat([sni, n, ...exts]);
  const extLen = Buffer.alloc(2); extLen.writeUInt16BE(all.length);
  const newBody = Buffer.concat([body.subarray(0, p), extLen, all]);
  const hdr = Buffer.from([22, 3, 1, 0, 0, 1, 0, 0, 0]);
  hdr.writeUInt16BE(newBody.length + 4, 3);
  hdr.writeUIntBE(newBody.length, 6, 3);
  return Buffer.concat([hdr, newBody]);
}

interface CaseResult { name: string; connections: number; errors: number; perSecond: number; p50: number; p99: number }

/** Runs `one` back to back on CONCURRENCY lanes for SECONDS; `one` resolves true on success. */
async function runCase(name: string, one: () => Promise<boolean>): Promise<CaseResult> {
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const s = process.hrtime.bigint();
      const ok = await one();
      if (ok) lat.push(Number(process.hrtime.bigint() - s) / 1e6); else errors++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (f: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))] ?? NaN;
  const r = { name, connections: lat.length, errors, perSecond: Math.round(lat.length / secs), p50: +q(0.5).toFixed(2), p99: +q(0.99).toFixed(2) };
  console.log(`${name.padEnd(34)} ${String(r.perSecond).padStart(7)} conn/s   p50 ${r.p50} ms   p99 ${r.p99} ms   (${r.connections} ok, ${errors} errors)`);
  return r;
}

function tlsOnce(port: number, servername: string, expectAlert: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    s.on('secureConnect', () => { s.destroy(); resolve(!expectAlert); });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(expectAlert && err.code === 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED'));
  });
}

function rawOnce(port: number, hello: Buffer, wantBytes: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    let got = 0;
    s.on('connect', () => s.write(hello));
    s.on('data', (d: Buffer) => { got += d.length; if (got >= wantBytes) s.destroy(); });
    s.on('error', () => {});
    s.on('close', () => resolve(got >= wantBytes));
  });
}

async function main(): Promise<void> {
  const cert = makeCert();
  const tlsOrigin = tls.createServer(cert, (s) => { s.on('error', () => {}); s.end(); });
  await new Promise<void>((r) => tlsOrigin.listen(0, '127.0.0.1', r));
  const tlsOriginPort = (tlsOrigin.address() as AddressInfo).port;
  // Answers the replayed hello with 64 bytes and closes: the raw `allowed` round trip.
  const rawOrigin = createServer((s) => { s.on('error', () => {}); s.once('data', () => s.end(Buffer.alloc(64))); });
  await new Promise<void>((r) => rawOrigin.listen(0, '127.0.0.1', r));
  const rawOriginPort = (rawOrigin.address() as AddressInfo).port;

  // A realistic rule set: the whole StevenBlack host list, with the bench names added.
  const hosts = readFileSync(new URL('blocklist-stevenblack-hosts.txt', DATASETS), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const rules = hosts.map((h, i) => ({ id: `h${i}`, kind: 'domain' as const, value: h.trim(), mode: 'restrict' as const, entry: i + 100 }));
  rules.push({ id: 'b', kind: 'domain', value: 'blocked.test', mode: 'restrict', entry: 1 });
  const matcher = buildMatcher(rules);
  const logger = pino({ level: 'warn' });
  const mk = (port: number) => createSniChecker({
    host: '127.0.0.1', port: 0, getMatcher: () => matcher, resolve: async () => [], forwardTarget: { host: '127.0.0.1', port },
    helloTimeoutMs: 10_000, idleTimeoutMs: 30_000, registry: new Registry(), logger,
  });
  const tlsChecker = mk(tlsOriginPort);
  const rawChecker = mk(rawOriginPort);
  const tlsPort = (await tlsChecker.listen()).port;
  const rawPort = (await rawChecker.listen()).port;

  console.log(`node ${process.version}, ${rules.length} rules, ${SECONDS} s per case, ${CONCURRENCY} concurrent clients, one process`);
  const blockedHello = helloFor('blocked.test');
  const allowedHello = helloFor('allowed.test');
  // Warm-up, not recorded: the first second of each path is JIT compilation.
  await Promise.all([tlsOnce(tlsPort, 'allowed.test', false), tlsOnce(tlsPort, 'blocked.test', true)]);
  for (let i = 0; i < 300; i++) await Promise.all([rawOnce(rawPort, blockedHello, 7), rawOnce(rawPort, allowedHello, 64), tlsOnce(tlsPort, 'blocked.test', true)]);
  const results = [
    await runCase('direct TLS to origin (baseline)', () => tlsOnce(tlsOriginPort, 'allowed.test', false)),
    await runCase('TLS through checker, blocked', () => tlsOnce(tlsPort, 'blocked.test', true)),
    await runCase('TLS through checker, allowed', () => tlsOnce(tlsPort, 'allowed.test', false)),
    await runCase('raw hello through checker, blocked', () => rawOnce(rawPort, blockedHello, 7)),
    await runCase('raw hello through checker, allowed', () => rawOnce(rawPort, allowedHello, 64)),
  ];
  console.log(JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, concurrency: CONCURRENCY, results }));
  await Promise.all([tlsChecker.close(), rawChecker.close()]);
  tlsOrigin.close();
  rawOrigin.close();
}

await main();

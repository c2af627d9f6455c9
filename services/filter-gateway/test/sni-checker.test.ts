import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher, type FeedRule, type Matcher } from '@tizilim/shared';
import { createSniChecker, type SniChecker } from '../src/sni/sni-checker.js';
import { allHellos, helloFor, reframe, splitInto } from './sni-fixtures.js';
import {
  exchange, makeCert, rawEchoOrigin, reshapingProxy, sleep, tlsEchoOrigin, tlsRoundTrip,
  type Cert, type Listening,
} from './sni-net-fixtures.js';

const logger = pino({ level: 'silent' });
const rule = (kind: FeedRule['kind'], value: string, entry: number, until?: string): FeedRule =>
  ({ id: `r${entry}`, kind, value, mode: until ? 'suspend' : 'restrict', entry, ...(until ? { until } : {}) });
const RULES: FeedRule[] = [
  rule('domain', 'blocked.test', 7),
  rule('domain_suffix', 'evil.test', 8),
  rule('domain', 'expired.test', 9, '2020-01-01T00:00:00.000Z'),
  rule('domain', 'suspended.test', 10, '2999-01-01T00:00:00.000Z'),
  rule('ip', '192.0.2.1', 11),
  rule('url', 'http://allowed.test/secret', 12),
];
const ALERT = (desc: number, minor = 3): Buffer => Buffer.from([21, 3, minor, 0, 2, 2, desc]);

let cert: Cert;
let tlsOrigin: Listening;
let rawOrigin: Listening;
let matcher: Matcher = buildMatcher(RULES);
const registry = new Registry();
let fixed: SniChecker;
let fixedPort: number;
let resolving: SniChecker;
let resolvingPort: number;
let rawChecker: SniChecker;
let rawPort: number;

beforeAll(async () => {
  cert = makeCert();
  tlsOrigin = await tlsEchoOrigin(cert);
  rawOrigin = await rawEchoOrigin();
  const common = { host: '127.0.0.1', port: 0, getMatcher: () => matcher, helloTimeoutMs: 1500, idleTimeoutMs: 5000, registry, logger };
  fixed = createSniChecker({ ...common, resolve: () => Promise.reject(new Error('fixed target: never resolves')), forwardTarget: { host: '127.0.0.1', port: tlsOrigin.port } });
  fixedPort = (await fixed.listen()).port;
  // The resolver path: names resolve through the gateway (here a table), port configured.
  const table: Record<string, string[]> = { 'allowed.test': ['127.0.0.1'], 'lands-on-blocked-ip.test': ['192.0.2.1'], 'two-addrs.test': ['192.0.2.1', '127.0.0.1'] };
  resolving = createSniChecker({
    ...common, registry: new Registry(), upstreamPort: tlsOrigin.port, allowInsideDestinations: true,
    resolve: async (name) => { const a = table[name.toLowerCase()]; if (!a) throw new Error('NXDOMAIN'); return a; },
  });
  resolvingPort = (await resolving.listen()).port;
  rawChecker = createSniChecker({ ...common, registry: new Registry(), resolve: () => Promise.reject(new Error('no')), forwardTarget: { host: '127.0.0.1', port: rawOrigin.port } });
  rawPort = (await rawChecker.listen()).port;
});

afterAll(async () => {
  await Promise.all([fixed?.close(), resolving?.close(), rawChecker?.close()]);
  await Promise.all([tlsOrigin?.close(), rawOrigin?.close()]);
});

describe('SNI checker with Node TLS clients', () => {
  it('refuses a blocked name with a fatal access_denied alert', async () => {
    for (const name of ['blocked.test', 'BLOCKED.Test', 'a.b.evil.test', 'evil.test', 'suspended.test']) {
      const r = await tlsRoundTrip(fixedPort, name);
      expect(r.ok, name).toBe(false);
      expect(r.code, name).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    }
  });

  it('relays an allowed name end to end: handshake with the origin, data both ways, half-close', async () => {
    const r = await tlsRoundTrip(fixedPort, 'allowed.test', { ca: cert.cert, payload: 'hello through the gateway' });
    expect(r).toEqual({ ok: true, echoed: 'hello through the gateway' });
    // A lapsed suspension no longer blocks; an unrelated name is allowed too.
    expect((await tlsRoundTrip(fixedPort, 'expired.test')).ok).toBe(true);
    expect((await tlsRoundTrip(fixedPort, 'notevil.test')).ok).toBe(true);
  });

  it('relays a large transfer with backpressure intact', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    const r = await tlsRoundTrip(fixedPort, 'allowed.test', { ca: cert.cert, payload: big });
    expect(r.ok).toBe(true);
    expect(r.echoed?.length).toBe(big.length);
  });

  it('reads the matcher on every connection (an update applies to the next one)', async () => {
    matcher = buildMatcher([...RULES, rule('domain', 'allowed.test', 13)]);
    try {
      expect((await tlsRoundTrip(fixedPort, 'allowed.test')).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    } finally {
      matcher = buildMatcher(RULES);
    }
    expect((await tlsRoundTrip(fixedPort, 'allowed.test')).ok).toBe(true);
  });

  it('resolves allowed names through the resolver path and applies IP rules to the result', async () => {
    expect(await tlsRoundTrip(resolvingPort, 'allowed.test', { ca: cert.cert })).toEqual({ ok: true, echoed: 'ping' });
    expect((await tlsRoundTrip(resolvingPort, 'lands-on-blocked-ip.test')).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    // Another address of the same name is not restricted: used.
    expect((await tlsRoundTrip(resolvingPort, 'two-addrs.test')).ok).toBe(true);
    expect((await tlsRoundTrip(resolvingPort, 'nx.test')).code).toBe('ERR_SSL_TLSV1_UNRECOGNIZED_NAME');
    expect((await tlsRoundTrip(resolvingPort, 'blocked.test')).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
  });

  it('without SNI and without a fixed target there is nowhere to go: unrecognized_name', async () => {
    const noSni = allHellos().find((r) => r.sni === null && r.file.includes('utls'))!;
    const ex = await exchange(resolvingPort, [noSni.bytes]);
    expect(ex.data).toEqual(ALERT(112));
  });

  it('checks an IP literal SNI against IP rules', async () => {
    expect((await exchange(rawPort, [helloFor('192.0.2.1')])).data).toEqual(ALERT(49));
    const ok = helloFor('192.0.2.2');
    expect((await exchange(rawPort, [ok], { enough: (d) => d.length >= ok.length })).data).toEqual(ok);
  });

  it('answers internal_error when the origin is unreachable', async () => {
    const dead = await rawEchoOrigin();
    await dead.close();
    const c = createSniChecker({ host: '127.0.0.1', port: 0, getMatcher: () => matcher, resolve: async () => [], forwardTarget: { host: '127.0.0.1', port: dead.port }, helloTimeoutMs: 1000, idleTimeoutMs: 1000, registry: new Registry(), logger });
    const { port } = await c.listen();
    try {
      expect((await tlsRoundTrip(port, 'allowed.test')).code).toBe('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
    } finally { await c.close(); }
  });
});

describe('SNI checker with openssl s_client', () => {
  const sClient = (port: number, name: string): Promise<{ code: number | null; out: string }> => new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.stdin.end();
    const t = setTimeout(() => p.kill(), 10_000);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, out }); });
  });

  it('a blocked name: alert access denied', async () => {
    const r = await sClient(fixedPort, 'blocked.test');
    expect(r.out).toMatch(/alert access denied/);
    expect(r.out).toMatch(/alert number 49/);
    expect(r.code).not.toBe(0);
  });

  it('an allowed name: handshake with the origin behind the checker', async () => {
    const r = await sClient(fixedPort, 'allowed.test');
    expect(r.out).toMatch(/CN ?= ?allowed\.test/);
    expect(r.out).toMatch(/BEGIN CERTIFICATE/);
    expect(r.out).not.toMatch(/alert/);
  });
});

describe('SNI checker with hellos delivered the hard way', () => {
  it('a real TLS client whose hello is written one byte per segment', async () => {
    const proxy = await reshapingProxy(fixedPort, (rec) => ({ parts: [...rec].map((b) => Buffer.from([b])), gapMs: 0 }));
    try {
      expect(await tlsRoundTrip(proxy.port, 'allowed.test', { ca: cert.cert })).toEqual({ ok: true, echoed: 'ping' });
      expect((await tlsRoundTrip(proxy.port, 'blocked.test')).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    } finally { await proxy.close(); }
  });

  it('a real TLS client with a hello over 2 KB, in two segments and in several records', async () => {
    // 12 long ALPN names grow Node's hello past 2 KB, as a post-quantum key share does.
    const alpn = Array.from({ length: 12 }, (_, i) => `${'p'.repeat(200)}${i}`);
    const sizes: number[] = [];
    const twoSegments = await reshapingProxy(fixedPort, (rec) => { sizes.push(rec.length); return { parts: splitInto(rec, 2), gapMs: 30 }; });
    const records = await reshapingProxy(fixedPort, (rec) => ({ parts: splitInto(reframe(rec, 700), 2), gapMs: 30 }));
    try {
      expect(await tlsRoundTrip(twoSegments.port, 'allowed.test', { ca: cert.cert, alpn })).toEqual({ ok: true, echoed: 'ping' });
      expect(sizes[0]).toBeGreaterThan(2048);
      expect((await tlsRoundTrip(twoSegments.port, 'blocked.test', { alpn })).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
      expect(await tlsRoundTrip(records.port, 'allowed.test', { ca: cert.cert, alpn })).toEqual({ ok: true, echoed: 'ping' });
      expect((await tlsRoundTrip(records.port, 'blocked.test', { alpn })).code).toBe('ERR_SSL_TLSV1_ALERT_ACCESS_DENIED');
    } finally { await Promise.all([twoSegments.close(), records.close()]); }
  });

  it('replays every real hello of the corpus: blocked ones alerted, the rest forwarded byte for byte', async () => {
    const rows = allHellos();
    const named = [...new Set(rows.map((r) => r.sni).filter((s): s is string => s !== null))];
    // Every other name of the corpus becomes a rule; the names are only matched, never resolved.
    const blocked = new Set(named.filter((_, i) => i % 2 === 0));
    const saved = matcher;
    // An IP literal in SNI is matched against IP rules, so those names become IP rules.
    matcher = buildMatcher([...RULES, ...[...blocked].map((v, i) => rule(/^[\d.]+$/.test(v) ? 'ip' : 'domain', v, 1000 + i))]);
    try {
      for (const row of rows) {
        const parts = splitInto(row.bytes, row.segments);
        if (row.sni !== null && blocked.has(row.sni)) {
          const ex = await exchange(rawPort, parts, { gapMs: row.segments > 1 ? 2 : 0 });
          expect(ex.data, row.name).toEqual(ALERT(49, Math.min(row.bytes[10]!, 3)));
        } else {
          const ex = await exchange(rawPort, parts, { gapMs: row.segments > 1 ? 2 : 0, enough: (d) => d.length >= row.bytes.length });
          expect(ex.data.equals(row.bytes), row.name).toBe(true);
        }
      }
    } finally { matcher = saved; }
  });

  it('closes on bytes that are not TLS, at once and without answering', async () => {
    const ex = await exchange(rawPort, [Buffer.from('GET / HTTP/1.1\r\nHost: blocked.test\r\n\r\n')]);
    expect(ex.data.length).toBe(0);
    expect(ex.closedAfterMs).toBeLessThan(1000);
  });

  it('cuts a slow-loris hello at the deadline even while bytes keep trickling', async () => {
    const hello = helloFor('allowed.test');
    const ex = await exchange(rawPort, [...hello.subarray(0, 40)].map((b) => Buffer.from([b])), { gapMs: 100 });
    expect(ex.data.length).toBe(0);
    expect(ex.closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(ex.closedAfterMs).toBeLessThan(3000);
  });

  it('counts results by kind', async () => {
    const text = await registry.getSingleMetricAsString('tizilim_gateway_sni_connections_total');
    expect(text).toMatch(/result="blocked"} [1-9]/);
    expect(text).toMatch(/result="allowed"} [1-9]/);
    const alpn = await registry.getSingleMetricAsString('tizilim_gateway_sni_alpn_total');
    expect(alpn).toMatch(/protocol="other"} [1-9]/);
  });

  it('close() ends connections that are open', async () => {
    const c = createSniChecker({ host: '127.0.0.1', port: 0, getMatcher: () => matcher, resolve: async () => [], forwardTarget: { host: '127.0.0.1', port: rawOrigin.port }, helloTimeoutMs: 60_000, idleTimeoutMs: 60_000, registry: new Registry(), logger });
    const { port } = await c.listen();
    const hello = helloFor('allowed.test');
    const relayed = exchange(port, [hello]);
    const waiting = exchange(port, [hello.subarray(0, 10)]);
    await sleep(200);
    await c.close();
    const [a, b] = await Promise.all([relayed, waiting]);
    expect(a.data).toEqual(hello);
    expect(b.data.length).toBe(0);
  });
});

describe('SNI checker under many connections', () => {
  it('10,000 connections leave no descriptors and no heap behind', async () => {
    const { readdirSync } = await import('node:fs');
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const allowed = helloFor('allowed.test');
    const blockedHello = helloFor('blocked.test');
    const round = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => (j % 2 === 0
          ? exchange(rawPort, [blockedHello]).then((ex) => { if (!ex.data.equals(ALERT(49))) throw new Error('no alert'); })
          : exchange(rawPort, [allowed], { enough: (d) => d.length >= allowed.length }).then((ex) => { if (!ex.data.equals(allowed)) throw new Error('bad echo'); }))));
      }
    };
    await round(1000);
    await sleep(300);
    gc();
    const fd0 = fds();
    const heap0 = process.memoryUsage().heapUsed;
    await round(10_000);
    await sleep(500);
    gc();
    const fd1 = fds();
    const heap1 = process.memoryUsage().heapUsed;
    expect(fd1 - fd0).toBeLessThanOrEqual(5);
    expect(heap1 - heap0).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});

import http from 'node:http';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { DnsMetrics } from '../src/observability/dns-metrics.js';
import { HeartbeatSender, defaultGatewayId, queryTotalsByResult, type HeartbeatSource } from '../src/sync/heartbeat-sender.js';
import { startGateway, tempDir, waitFor } from './helpers/gateway.js';
import { seedSnapshot } from './helpers/rules.js';
import { buildQuery, udpAsk } from './helpers/wire.js';

interface Received { path: string; authorization: string | undefined; contentType: string | undefined; body: any }

/** A stand-in for the register's heartbeat endpoint: records what arrives, answers with `status`. */
class HeartbeatServer {
  readonly received: Received[] = [];
  /** An HTTP status to answer with, or 'drop' to cut the connection as an unreachable register would. */
  status: number | 'drop' = 200;
  port = 0;
  readonly #server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      if (this.status === 'drop') { req.socket.destroy(); return; }
      if (req.url !== '/v1/gateways/heartbeat' || req.method !== 'POST') { res.writeHead(404).end(); return; }
      this.received.push({ path: req.url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body: JSON.parse(text) });
      const body = this.status === 200 ? { ok: true } : { error: { code: 'REG_ERR_FORBIDDEN', message: 'no' } };
      res.writeHead(this.status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { log: pino({ level: 'info' }, stream), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

async function server(): Promise<HeartbeatServer> {
  const s = await new HeartbeatServer().start();
  cleanups.push(() => s.close());
  return s;
}

function sender(url: string, source: HeartbeatSource, log = pino({ level: 'silent' }), intervalMs = 10_000): HeartbeatSender {
  const s = new HeartbeatSender({ registerUrl: url, token: 'isp-token-1', gatewayId: 'dns1.isp.kz-5353', intervalMs, timeoutMs: 1_000 }, source, log);
  cleanups.push(() => s.stop());
  return s;
}

describe('heartbeats to the register', () => {
  it('posts gatewayId, version, rules and query totals by result from the prom-client registry, with the ISP token', async () => {
    const registry = new Registry();
    const dns = new DnsMetrics(registry, () => 0);
    for (let i = 0; i < 3; i++) dns.record('udp', 'blocked', performance.now());
    dns.record('doh', 'blocked', performance.now());
    dns.record('tcp', 'forwarded', performance.now());
    const reg = await server();
    const s = sender(reg.url, { version: () => 42, rules: () => 7, metrics: () => registry.metrics() });
    expect(await s.beat()).toBe(true);
    expect(reg.received).toHaveLength(1);
    const [hb] = reg.received;
    expect(hb).toMatchObject({ path: '/v1/gateways/heartbeat', authorization: 'Bearer isp-token-1', contentType: 'application/json' });
    expect(hb!.body).toEqual({
      gatewayId: 'dns1.isp.kz-5353', version: 42, rules: 7,
      counters: { blocked: 4, forwarded: 1 },
    });
  });

  it('beats at once and then every interval, on an unref’d timer; a gateway that never synced reports version 0', async () => {
    const reg = await server();
    const s = sender(reg.url, { version: () => -1, rules: () => 0, metrics: async () => '' }, undefined, 50);
    s.start();
    await waitFor(() => reg.received.length >= 4, 3_000);
    expect(reg.received[0]!.body).toEqual({ gatewayId: 'dns1.isp.kz-5353', version: 0, rules: 0, counters: {} });
    await s.stop();
    const n = reg.received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(reg.received.length).toBe(n);
  });

  it('never throws; logs a failure once per change of state, and the recovery once', async () => {
    const reg = await server();
    reg.status = 'drop';
    const { log, lines } = capturingLogger();
    let metricsFail = false;
    const s = sender(reg.url, { version: () => 3, rules: () => 1, metrics: async () => { if (metricsFail) throw new Error('worker gone'); return ''; } }, log);
    for (let i = 0; i < 4; i++) expect(await s.beat()).toBe(false);
    const warnings = () => lines.filter((l) => l.level === 40);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.msg).toMatch(/heartbeat not delivered \(UND_ERR_SOCKET\)/);

    reg.status = 403;
    expect(await s.beat()).toBe(false);
    expect(await s.beat()).toBe(false);
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]).toMatchObject({ status: 403, code: 'REG_ERR_FORBIDDEN' });

    reg.status = 200;
    metricsFail = true; // totals unavailable for a moment: the beat still goes, without them
    expect(await s.beat()).toBe(true);
    expect(await s.beat()).toBe(true);
    expect(reg.received.at(-1)!.body).toEqual({ gatewayId: 'dns1.isp.kz-5353', version: 3, rules: 1, counters: {} });
    expect(lines.filter((l) => l.msg === 'heartbeats reach the register again')).toHaveLength(1);
    expect(warnings()).toHaveLength(2);
  });

  it('a running gateway sends heartbeats with what it enforces and what it answered', async () => {
    const reg = await server();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    const gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, REGISTER_URL: reg.url, ISP_TOKEN: 'isp-secret', GATEWAY_ID: 'test-gw', HEARTBEAT_INTERVAL_MS: '50' });
    cleanups.push(() => gw.close());
    await udpAsk(gw.dnsPort, buildQuery('blocked.kz'));
    await waitFor(() => reg.received.some((r) => (r.body.counters.blocked ?? 0) >= 1), 3_000);
    const last = reg.received.at(-1)!;
    expect(last.authorization).toBe('Bearer isp-secret');
    expect(last.body).toMatchObject({ gatewayId: 'test-gw', version: 200, rules: 5 });
    await gw.close();
    cleanups.pop();
    const n = reg.received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(reg.received.length).toBe(n);
  });

  it('sends nothing without ISP_TOKEN', async () => {
    const reg = await server();
    const gw = await startGateway({ REGISTER_URL: reg.url, ISP_TOKEN: '', HEARTBEAT_INTERVAL_MS: '50' });
    cleanups.push(() => gw.close());
    await new Promise((r) => setTimeout(r, 300));
    expect(reg.received).toHaveLength(0);
  });
});

describe('gateway identity and totals', () => {
  it('defaults to hostname-DNS_PORT, reduced to what the register accepts; GATEWAY_ID is checked at start', () => {
    expect(defaultGatewayId('DNS1.Isp.KZ', 53)).toBe('dns1.isp.kz-53');
    expect(defaultGatewayId('weird host_name!', 5353)).toBe('weird-host_name--5353');
    expect(defaultGatewayId('', 5353)).toBe('gateway-5353');
    expect(defaultGatewayId('a'.repeat(100), 5353)).toHaveLength(64);
    expect(loadConfig({ DNS_PORT: '5300' }).gatewayId).toBe(defaultGatewayId(hostname(), 5300));
    expect(loadConfig({ GATEWAY_ID: 'edge-7' }).gatewayId).toBe('edge-7');
    expect(loadConfig({}).heartbeatIntervalMs).toBe(10_000);
    expect(() => loadConfig({ GATEWAY_ID: 'has space' })).toThrow(ConfigError);
    expect(() => loadConfig({ GATEWAY_ID: 'x'.repeat(65) })).toThrow(/GATEWAY_ID/);
    expect(() => loadConfig({ HEARTBEAT_INTERVAL_MS: '0' })).toThrow(/HEARTBEAT_INTERVAL_MS/);
  });

  it('sums dns_queries_total over transports and workers', () => {
    const text = [
      '# HELP dns_queries_total DNS queries answered, by transport and result',
      '# TYPE dns_queries_total counter',
      'dns_queries_total{transport="udp",result="blocked"} 5',
      'dns_queries_total{transport="tcp",result="blocked"} 2',
      'dns_queries_total{result="forwarded",transport="udp"} 10',
      'dns_queries_total_created{transport="udp",result="blocked"} 1700000000',
      'dns_query_duration_seconds_count 17',
    ].join('\n');
    expect(queryTotalsByResult(text)).toEqual({ blocked: 7, forwarded: 10 });
  });
});

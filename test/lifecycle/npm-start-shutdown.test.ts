import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort, waitForOk } from '../support/child-service.js';
import { TestUpstream } from '../support/test-upstream.js';

/**
 * Issue #10: Ctrl-C on `npm start` took ~29 s. Here the real `npm start` (register on PGlite,
 * a gateway with two DNS workers) gets SIGINT on its whole process group, as a terminal sends
 * it, while a gateway long-polls the register and a DNS client holds a TCP connection open.
 * Goal: everything gone within 3 s, each service's own stop measured from its log.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-npm-start-'));
const upstream = new TestUpstream();
let npm: ChildProcess;
let out = '';
let ports: Record<string, number>;

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const upstreamPort = await upstream.start();
  ports = { api: await freePort(), dns: await freePort(), doh: await freePort(), metrics: await freePort(), sni: await freePort(), blockpage: await freePort() };
  npm = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, DATABASE_URL: '', TEST_DATABASE_URL: '', DATA_DIR: dataDir, API_PORT: String(ports.api), DNS_PORT: String(ports.dns),
      DOH_PORT: String(ports.doh), GATEWAY_METRICS_PORT: String(ports.metrics), SNI_PORT: String(ports.sni), BLOCKPAGE_PORT: String(ports.blockpage),
      UPSTREAMS: `127.0.0.1:${upstreamPort}`, GATEWAY_WORKERS: '2', SYNC_WAIT_SECONDS: '30', LOG_LEVEL: 'info',
    },
  });
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const service = { child: npm, output: () => out, exited: Promise.resolve(null), stop: async () => null };
  await waitForOk(`http://127.0.0.1:${ports.api}/readyz`, service);
  await waitForOk(`http://127.0.0.1:${ports.metrics}/readyz`, service);
}, 180_000);

afterAll(async () => {
  if (npm?.pid && groupAlive(npm.pid)) process.kill(-npm.pid, 'SIGKILL');
  upstream.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The `ms` of the last log line with this message from the named service. */
function stoppedMs(msg: string, pick: (line: Record<string, unknown>) => boolean): number | undefined {
  let ms: number | undefined;
  for (const text of out.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const line = JSON.parse(text) as Record<string, unknown>;
      if (line.msg === msg && pick(line) && typeof line.ms === 'number') ms = line.ms;
    } catch {
      // not a log line
    }
  }
  return ms;
}

describe('npm start, then Ctrl-C', () => {
  it('stops register and gateway within 3 s, ending the long-poll with a retry hint and keeping the snapshot', async () => {
    const isp = readFileSync(join(dataDir, 'gateway-isp-token'), 'utf8').trim();
    const api = `http://127.0.0.1:${ports.api}`;
    const head = ((await (await fetch(`${api}/v1/feed/changes?since=0&limit=1`, { headers: { authorization: `Bearer ${isp}` } })).json()) as { to: number }).to;
    const poll = fetch(`${api}/v1/feed/changes?since=${head}&wait=30`, { headers: { authorization: `Bearer ${isp}` } });
    const tcp = net.connect(ports.dns!, '127.0.0.1');
    tcp.on('error', () => undefined);
    await new Promise<void>((resolve) => tcp.once('connect', () => resolve()));
    const tcpClosed = new Promise<number>((resolve) => tcp.once('close', () => resolve(Date.now())));
    const exited = new Promise<number>((resolve) => npm.once('exit', () => resolve(Date.now())));
    await new Promise((r) => setTimeout(r, 300));

    const started = Date.now();
    process.kill(-npm.pid!, 'SIGINT');
    const res = await poll;
    const pollEnded = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('REG_ERR_SHUTTING_DOWN');
    expect(await tcpClosed - started).toBeLessThan(3000);
    const npmExit = await exited - started;
    for (let i = 0; i < 30 && groupAlive(npm.pid!); i++) await new Promise((r) => setTimeout(r, 100));
    const allGone = Date.now() - started;
    expect(groupAlive(npm.pid!)).toBe(false);

    // The pipe closes when its last writer is gone: every log line written before exit is read.
    await Promise.race([new Promise((r) => npm.stdout!.once('close', r)), new Promise((r) => setTimeout(r, 1000))]);

    const gatewayMs = stoppedMs('stopped', (l) => l.service === 'filter-gateway');
    const registerMs = stoppedMs('register-api stopped', (l) => l.name === 'tizilim');
    const totalMs = stoppedMs('stopped', (l) => l.name === 'tizilim');
    console.log(`shutdown: long-poll answered ${pollEnded} ms, register ${registerMs} ms, gateway ${gatewayMs} ms, npm start ${totalMs} ms, npm exited ${npmExit} ms, all processes gone ${allGone} ms`);
    expect(pollEnded).toBeLessThan(1000);
    expect(registerMs).toBeDefined();
    expect(registerMs!).toBeLessThan(3000);
    expect(gatewayMs).toBeDefined();
    expect(gatewayMs!).toBeLessThan(3000);
    expect(totalMs).toBeDefined();
    expect(totalMs!).toBeLessThan(3000);
    expect(allGone).toBeLessThan(3000);

    // The gateway's snapshot is whole: header count = lines, no temporary file left behind.
    const gatewayDir = join(dataDir, 'gateway');
    const lines = readFileSync(join(gatewayDir, 'snapshot.ndjson'), 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as { version: number; count: number };
    expect(lines).toHaveLength(header.count + 1);
    expect(header.version).toBe(head);
  });
});

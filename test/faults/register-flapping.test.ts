import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient } from '@tizilim/register-api/testing/http';
import { enforce } from '@tizilim/register-api/testing/register-fixtures';
import { logHead } from '@tizilim/register-api/repositories/public-log-repository';
import { freePort } from '../support/child-service.js';
import { faultsEnabled, readWholeSnapshot, startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

/**
 * Fault (issue #10): the register flaps (reachable a few seconds, then gone: connections cut,
 * the port refusing) for a minute while approvals and restorations go on. When it settles the
 * gateway must hold exactly the register's rule set at exactly its version: no change lost,
 * none applied twice. The flapping is a TCP proxy in front of a real register.
 */
const FLAP_SECONDS = Number(process.env.TIZILIM_FAULT_FLAP_SECONDS ?? 60);

/** A TCP proxy that can be taken down (listener closed, every connection cut) and brought back on the same port. */
class FlappingProxy {
  readonly #conns = new Set<net.Socket>();
  #server: net.Server | undefined;
  downs = 0;
  constructor(readonly port: number, readonly target: number) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) { this.#conns.add(s); s.on('close', () => this.#conns.delete(s)); s.on('error', () => s.destroy()); }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.port, '127.0.0.1', () => resolve()); });
    this.#server = server;
  }

  async down(): Promise<void> {
    this.downs++;
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#conns) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

let reg: TestRegister | undefined;
let gw: GatewayProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-fault-flap-'));
afterAll(async () => {
  await gw?.stop();
  await reg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!faultsEnabled)('register flapping for a minute', () => {
  it('the gateway ends at exactly the approved version and rule set', async () => {
    reg = await startTestRegister();
    const api = apiClient(reg.app);
    const registerPort = Number(new URL(await reg.app.listen({ host: '127.0.0.1', port: 0 })).port);
    const proxy = new FlappingProxy(await freePort(), registerPort);
    await proxy.up();
    const basis = (await enforce(api, reg, { resources: ['first.flap.example.kz'] })).legalBasisId;
    gw = await startGatewayProcess({
      REGISTER_URL: `http://127.0.0.1:${proxy.port}`, ISP_TOKEN: reg.tokens.isp, GATEWAY_DATA_DIR: dataDir, UPSTREAMS: '127.0.0.1:9',
      GATEWAY_WORKERS: '2', SYNC_WAIT_SECONDS: '2', SYNC_MAX_BACKOFF_MS: '1000',
    });

    const random = seededRandom(4242);
    let flapping = true;
    const flaps = (async () => {
      while (flapping) {
        await new Promise((r) => setTimeout(r, 1000 + random() * 3000));
        if (!flapping) break;
        await proxy.down();
        await new Promise((r) => setTimeout(r, 500 + random() * 2500));
        await proxy.up();
      }
    })();

    // Approvals, restorations and suspensions all through the minute, straight to the register.
    const restricted: string[] = [];
    let n = 0;
    const until = Date.now() + FLAP_SECONDS * 1000;
    while (Date.now() < until) {
      const pick = random();
      if (pick < 0.2 && restricted.length > 0) {
        const value = restricted.splice(Math.floor(random() * restricted.length), 1)[0]!;
        await enforce(api, reg, { action: 'restore', resources: [value], legalBasisId: basis });
      } else if (pick < 0.3) {
        await enforce(api, reg, { action: 'suspend', resources: [`paused${n++}.flap.example.kz`], legalBasisId: basis, category: 'unregistered_platform', effectiveUntil: new Date(Date.now() + 3_600_000).toISOString() });
      } else {
        const batch = Array.from({ length: 1 + Math.floor(random() * 5) }, () => `h${n++}.flap.example.kz`);
        await enforce(api, reg, { resources: batch, legalBasisId: basis });
        restricted.push(...batch);
      }
      await new Promise((r) => setTimeout(r, 100 + random() * 300));
    }
    flapping = false;
    await flaps;
    expect(proxy.downs).toBeGreaterThanOrEqual(FLAP_SECONDS / 6);

    const head = (await logHead(reg.database.db)).seq;
    await expect.poll(async () => (await gw!.readyz()).body.version, { timeout: 20_000, interval: 200 }).toBe(head);
    // The rule set itself: the gateway's snapshot (written whole on stop) against the register's.
    await gw.stop();
    gw = undefined;
    const mine = readWholeSnapshot(dataDir);
    const res = await reg.app.inject({ method: 'GET', url: '/v1/feed/snapshot', headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    const lines = res.body.trimEnd().split('\n');
    const theirs = new Set(lines.slice(1).map((l) => { const r = JSON.parse(l) as { kind: string; value: string }; return `${r.kind} ${r.value}`; }));
    expect(mine.version).toBe(head);
    expect(mine.count).toBe(theirs.size);
    expect([...mine.values].sort()).toEqual([...theirs].sort());
    expect(theirs.size).toBeGreaterThan(20);
  }, FLAP_SECONDS * 1000 + 90_000);
});

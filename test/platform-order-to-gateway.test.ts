import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient, courtRuling } from '@tizilim/register-api/testing/http';
import { OrderScheduler } from '@tizilim/register-api/scheduler/order-scheduler';
import { freePort, startChild, waitForOk, type ChildService } from './support/child-service.js';
import { TestUpstream } from './support/test-upstream.js';

/**
 * Issue 6 through REST and a running gateway: a platform over the audience threshold without a
 * representative, an order nobody answers turning overdue by itself, its escalation approved
 * and enforced by the gateway, and the enforcement view watching the gateway fall behind.
 */
const run = promisify(execFile);
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let scheduler: OrderScheduler;
const upstream = new TestUpstream();
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-e2e-orders-'));
let gateway: ChildService | undefined;
let dnsPort: number;

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  scheduler = new OrderScheduler({ db: reg.database.db, logger: pino({ level: 'silent' }), intervalMs: 100 });
  scheduler.start();
});
afterAll(async () => {
  await gateway?.stop();
  await scheduler?.stop();
  upstream.close();
  await reg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('platforms, 24-hour orders, escalation, and enforcement receipts', () => {
  it('from a platform in breach to a gateway enforcing the escalation, and the view of a stopped gateway', async () => {
    const registerUrl = await reg.app.listen({ host: '127.0.0.1', port: 0 });
    const isp = await api('POST', '/v1/isps', reg.tokens.admin, { name: 'Steppe Telecom', contact: 'noc@steppe.example.kz' });
    const ispToken = (await api('POST', `/v1/isps/${isp.body.id}/tokens`, reg.tokens.admin, { name: 'steppe dns' })).body.token as string;
    dnsPort = await freePort();
    const metrics = await freePort();
    gateway = startChild('services/filter-gateway/src/main.ts', {
      REGISTER_URL: registerUrl, ISP_TOKEN: ispToken, GATEWAY_ID: 'steppe-dns-1', HEARTBEAT_INTERVAL_MS: '200', GATEWAY_WORKERS: '1',
      GATEWAY_DATA_DIR: dataDir, DNS_PORT: String(dnsPort), DOH_PORT: String(await freePort()), DOT_PORT: String(await freePort()), GATEWAY_METRICS_PORT: String(metrics),
      SNI_PORT: String(await freePort()), BLOCKPAGE_PORT: String(await freePort()), QUIC_PORT: '0', RPZ_XFR_PORT: 'off', UPSTREAMS: `127.0.0.1:${await upstream.start()}`, LOG_LEVEL: 'warn',
    });
    await waitForOk(`http://127.0.0.1:${metrics}/readyz`, gateway);

    // a platform with 2M daily users, past its deadline, no representative
    const platform = await api('POST', '/v1/platforms', reg.tokens.operator, {
      name: 'VidStream', domains: ['vidstream.example.com'], country: 'SG', dailyAudience: 2_000_000, registrationDeadline: '2026-01-01',
    });
    expect(platform.status, JSON.stringify(platform.body)).toBe(201);
    const breach = await api('GET', '/v1/platforms?withoutRepresentative=true&pastDeadline=true', reg.tokens.auditor);
    expect(breach.body.platforms.map((p: { id: string }) => p.id)).toContain(platform.body.id);

    // an order issued 25 hours ago that nobody answered turns overdue with nobody calling the API
    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, { ...courtRuling, kind: 'ministry_order', authority: 'Ministry of Culture and Information' })).body.id;
    const order = await api('POST', '/v1/orders', reg.tokens.operator, {
      platformId: platform.body.id, legalBasisId: basis, contentUrls: ['https://vidstream.example.com/v/123'], category: 'child_cyberbullying',
      issuedAt: new Date(Date.now() - 25 * 3_600_000).toISOString(),
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    await expect.poll(async () => (await api('GET', `/v1/orders/${order.body.id}`, reg.tokens.operator)).body.status, { timeout: 10_000 }).toBe('overdue');

    // escalation: a pending restriction; nothing blocked until someone else approves it
    const draft = await api('POST', `/v1/orders/${order.body.id}/escalate`, reg.tokens.operator, { target: 'domains' });
    expect(draft.status).toBe(201);
    expect(draft.body.status).toBe('pending_approval');
    const dig = async (name: string) => /status: (\w+)/.exec((await run('dig', ['@127.0.0.1', '-p', String(dnsPort), name, '+tries=1', '+time=2'])).stdout)?.[1];
    expect(await dig('vidstream.example.com')).toBe('NOERROR');
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.body.status).toBe('in_force');
    await expect.poll(() => dig('vidstream.example.com'), { timeout: 5000, interval: 50 }).toBe('NXDOMAIN');

    // the enforcement view: current while the gateway runs, behind once it stops
    const gatewayView = async () => {
      const view = await api('GET', '/v1/isps/enforcement', reg.tokens.auditor);
      return view.body.isps.find((i: { id: string }) => i.id === isp.body.id)?.gateways.find((g: { gatewayId: string }) => g.gatewayId === 'steppe-dns-1');
    };
    await expect.poll(async () => (await gatewayView())?.lagEntries, { timeout: 10_000 }).toBe(0);
    await gateway.stop();
    const more = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', resources: ['later.example.com'], legalBasisId: basis, category: 'gambling' });
    await api('POST', `/v1/decisions/${more.body.id}/approve`, reg.tokens.approver);
    await new Promise((r) => setTimeout(r, 1200));
    const behind = await gatewayView();
    expect(behind.lagEntries).toBe(1);
    expect(behind.lagSeconds).toBeGreaterThanOrEqual(1);
    expect(behind.status).toBe('behind');
    const publicView = await api('GET', '/public/v1/enforcement');
    expect(JSON.stringify(publicView.body)).toContain('Steppe Telecom');
  }, 240_000);
});

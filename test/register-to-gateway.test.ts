import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient, courtRuling } from '@tizilim/register-api/testing/http';
import { freePort, startChild, waitForOk, type ChildService } from './support/child-service.js';
import { TestUpstream } from './support/test-upstream.js';

/**
 * The whole path a block takes: an approval in the register, the feed, a running gateway
 * process, and a real DNS client (dig) asking it.
 */
const run = promisify(execFile);
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let registerUrl: string;
const upstream = new TestUpstream();
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-e2e-gateway-'));
let gateway: ChildService | undefined;
let ports: { dns: number; doh: number; metrics: number; sni: number; blockpage: number; dot: number };
let upstreamPort: number;

async function startGateway(): Promise<ChildService> {
  const svc = startChild('services/filter-gateway/src/main.ts', {
    REGISTER_URL: registerUrl, ISP_TOKEN: reg.tokens.isp, GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: dataDir,
    DNS_PORT: String(ports.dns), DOH_PORT: String(ports.doh), DOT_PORT: String(ports.dot), GATEWAY_METRICS_PORT: String(ports.metrics),
    SNI_PORT: String(ports.sni), BLOCKPAGE_PORT: String(ports.blockpage), QUIC_PORT: '0', RPZ_XFR_PORT: 'off',
    UPSTREAMS: `127.0.0.1:${upstreamPort}`, PUBLIC_BASE_URL: 'https://register.example.kz', SYNC_WAIT_SECONDS: '20', LOG_LEVEL: 'warn',
  });
  await waitForOk(`http://127.0.0.1:${ports.metrics}/readyz`, svc);
  return svc;
}

async function dig(name: string, ...flags: string[]): Promise<{ status: string; text: string }> {
  const { stdout } = await run('dig', [`@127.0.0.1`, '-p', String(ports.dns), name, 'A', '+tries=1', '+time=2', ...flags]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
  return { status, text: stdout };
}

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  registerUrl = await reg.app.listen({ host: '127.0.0.1', port: 0 });
  upstreamPort = await upstream.start();
  ports = { dns: await freePort(), doh: await freePort(), metrics: await freePort(), sni: await freePort(), blockpage: await freePort(), dot: await freePort() };
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.stop();
  upstream.close();
  await reg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('register → feed → gateway → dig', () => {
  it('blocks what is approved within a second, names the entry, and lifts it on restoration', async () => {
    expect((await dig('bad.example.kz')).status).toBe('NOERROR');
    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['*.Пример.kz', 'bad.example.kz'], legalBasisId: basis, category: 'extremism',
    });
    const approvedAt = Date.now();
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.body.status).toBe('in_force');
    await expect.poll(async () => (await dig('bad.example.kz')).status, { timeout: 5000, interval: 20 }).toBe('NXDOMAIN');
    const propagationMs = Date.now() - approvedAt;
    expect(propagationMs).toBeLessThan(5000); // the p99 goal (1 s) is measured by the benchmark

    const mixed = await dig('BAD.Example.KZ');
    expect(mixed.status).toBe('NXDOMAIN');
    expect(mixed.text).toContain('BAD.Example.KZ.');
    const idn = await dig('www.xn--e1afmkfd.kz');
    expect(idn.status).toBe('NXDOMAIN');
    expect(idn.text).toMatch(new RegExp(`EDE: 16 \\(Censored\\): \\(Tizilim register entry ${approved.body.logEntries[0]}: https://register\\.example\\.kz/public/v1/log/${approved.body.logEntries[0]}\\)`));
    const kdig = await run('kdig', ['@127.0.0.1', '-p', String(ports.dns), 'deep.www.xn--e1afmkfd.kz', 'A']);
    expect(kdig.stdout).toMatch(/status: NXDOMAIN/);
    expect((await dig('fine.example.kz')).status).toBe('NOERROR');

    const restore = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['bad.example.kz'], legalBasisId: basis, category: 'extremism', note: 'appeal granted',
    });
    await api('POST', `/v1/decisions/${restore.body.id}/approve`, reg.tokens.approver2);
    await expect.poll(async () => (await dig('bad.example.kz')).status, { timeout: 3000, interval: 20 }).toBe('NOERROR');
    expect((await dig('www.xn--e1afmkfd.kz')).status).toBe('NXDOMAIN');
  });

  it('a gateway restarted while the register is down still blocks', async () => {
    await gateway!.stop();
    await reg.app.close();
    gateway = await startGateway();
    const blocked = await dig('x.xn--e1afmkfd.kz');
    expect(blocked.status).toBe('NXDOMAIN');
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/register_version \d+/);
    expect(metrics).toMatch(/sync_staleness_seconds \d/);
  });
});

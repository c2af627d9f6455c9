import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient, courtRuling } from '@tizilim/register-api/testing/http';
import { freePort, startChild, waitForOk, type ChildService } from './support/child-service.js';
import { LocalDnsResponder } from './support/local-dns-responder.js';

/**
 * IP and CIDR rules from an approval in the register, through the feed, to a running gateway
 * that blocks answers pointing into them (issue 13, part 1): `v6.test AAAA 2001:db8:42::1`
 * with `2001:db8:42::/48` restricted, over UDP, TCP and DoT, with EDE 16 naming the entry.
 */
const run = promisify(execFile);
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let gateway: ChildService | undefined;
let ports: { dns: number; dot: number; metrics: number };
const dataDir = mkdtempSync(join(tmpdir(), 'tizilim-e2e-iprules-'));
const upstream = new LocalDnsResponder({
  'v6.test': { aaaa: [0x20, 0x01, 0x0d, 0xb8, 0, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
  'v4.test': { a: [203, 0, 113, 77] },
  'host.test': { a: [198, 51, 100, 9] },
  'next-door.test': { a: [198, 51, 100, 10] },
});

async function kdig(...args: string[]): Promise<string> {
  return (await run('kdig', ['@127.0.0.1', '+edns', '+time=3', '+retry=0', ...args], { timeout: 10_000 })).stdout;
}
const statusOf = (out: string): string => /status: (\w+)/.exec(out)?.[1] ?? 'none';

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  const registerUrl = await reg.app.listen({ host: '127.0.0.1', port: 0 });
  const upstreamPort = await upstream.start();
  ports = { dns: await freePort(), dot: await freePort(), metrics: await freePort() };
  gateway = startChild('services/filter-gateway/src/main.ts', {
    REGISTER_URL: registerUrl, ISP_TOKEN: reg.tokens.isp, GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: dataDir,
    DNS_PORT: String(ports.dns), DOT_PORT: String(ports.dot), DOH_PORT: String(await freePort()),
    GATEWAY_METRICS_PORT: String(ports.metrics), SNI_PORT: String(await freePort()), BLOCKPAGE_PORT: String(await freePort()),
    UPSTREAMS: `127.0.0.1:${upstreamPort}`, PUBLIC_BASE_URL: 'https://register.example.kz', SYNC_WAIT_SECONDS: '20', LOG_LEVEL: 'warn',
  });
  await waitForOk(`http://127.0.0.1:${ports.metrics}/readyz`, gateway);
});
afterAll(async () => {
  await gateway?.stop();
  upstream.close();
  await reg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('register → feed → gateway: IP and CIDR rules in DNS answers', () => {
  it('blocks answers inside approved IP/CIDR rules (v4 and v6), cached ones included, and lifts them on restoration', async () => {
    const udp = ['-p', String(ports.dns)];
    // Asked before the rules exist: these answers are now in the gateway's cache.
    expect(statusOf(await kdig(...udp, 'v6.test', 'AAAA'))).toBe('NOERROR');
    expect(statusOf(await kdig(...udp, 'host.test', 'A'))).toBe('NOERROR');

    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['2001:db8:42::/48', '198.51.100.9', '203.0.113.0/24'], legalBasisId: basis, category: 'extremism',
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.body.status).toBe('in_force');
    const entries = approved.body.logEntries as number[];

    await expect.poll(async () => statusOf(await kdig(...udp, 'v6.test', 'AAAA')), { timeout: 5000, interval: 50 }).toBe('NXDOMAIN');
    const v6 = await kdig(...udp, 'v6.test', 'AAAA');
    expect(v6).toMatch(/EDE: 16 \(Censored\): 'Tizilim register entry (\d+): https:\/\/register\.example\.kz\/public\/v1\/log\/\1'/);
    const v6Entry = Number(/register entry (\d+)/.exec(v6)![1]);
    expect(entries).toContain(v6Entry);

    const host = await kdig(...udp, 'host.test', 'A');
    expect(statusOf(host)).toBe('NXDOMAIN');
    const hostEntry = Number(/register entry (\d+)/.exec(host)![1]);
    expect(entries).toContain(hostEntry);
    expect(hostEntry).not.toBe(v6Entry);
    expect(statusOf(await kdig(...udp, 'next-door.test', 'A'))).toBe('NOERROR');

    const overTcp = await kdig(...udp, '+tcp', 'v4.test', 'A');
    expect(statusOf(overTcp)).toBe('NXDOMAIN');
    const overDot = await kdig('-p', String(ports.dot), '+tls', 'v4.test', 'A');
    expect(statusOf(overDot)).toBe('NXDOMAIN');
    expect(overDot).toContain('EDE: 16 (Censored)');

    const restore = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['2001:db8:42::/48'], legalBasisId: basis, category: 'extremism', note: 'appeal granted',
    });
    expect(restore.status, JSON.stringify(restore.body)).toBe(201);
    await api('POST', `/v1/decisions/${restore.body.id}/approve`, reg.tokens.approver2);
    await expect.poll(async () => statusOf(await kdig(...udp, 'v6.test', 'AAAA')), { timeout: 5000, interval: 50 }).toBe('NOERROR');
    expect(statusOf(await kdig(...udp, 'host.test', 'A'))).toBe('NXDOMAIN');
  });
});

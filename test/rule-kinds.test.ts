import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient } from '@tizilim/register-api/testing/http';
import { enforce } from '@tizilim/register-api/testing/register-fixtures';
import { freePort, startChild, waitForOk, type ChildService } from './support/child-service.js';
import { LocalDnsResponder } from './support/local-dns-responder.js';
import { findUnbound, startUnbound, type UnboundProcess } from './support/unbound-process.js';

/**
 * The README's table "Every rule kind × every enforcement point", one row per rule kind, one
 * test per cell: a real register approves each kind of rule, a gateway process takes them from
 * the feed, and DNS (dig), TLS (a real TLS client at the SNI checker), HTTP (the 451 block
 * page), a real Unbound loading our RPZ export, and the public check each say what they do.
 *
 * Everything stays on loopback: the upstream is a local responder whose default answer is
 * 127.0.0.1, so allowed traffic (the block page's proxy, the SNI relay) goes nowhere else.
 */
const run = promisify(execFile);
const UNBOUND = findUnbound();
const RPZ_ZONE = 'rpz.tizilim.';

/** One name per rule kind, as a user would ask for it; see `setUp` for the rules behind them. */
const ROWS = {
  domain: { blocked: 'rk-domain.kz', allowed: 'www.rk-domain.kz' },
  suffix: { blocked: 'deep.www.rk-suffix.kz', allowed: 'rk-suffix-not.kz' },
  url: { host: 'rk-url.kz', blockedPath: '/banned/page', allowedPath: '/fine' },
  ip: { address: '198.51.100.9', name: 'ip-host.rk.kz', allowedName: 'ip-other.rk.kz' },
  cidr: { address: '203.0.113.5', name: 'cidr-host.rk.kz', allowedName: 'cidr-outside.rk.kz' },
  exception: { allowed: 'www.rk-exc.kz', blocked: 'a.www.rk-exc.kz', urlAllowed: '/banned/reviewed' },
} as const;

let reg: TestRegister;
let api: ReturnType<typeof apiClient>;
let gateway: ChildService | undefined;
let unbound: UnboundProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tizilim-rule-kinds-'));
let ports: { dns: number; doh: number; metrics: number; sni: number; blockpage: number; unbound: number };
const upstream = new LocalDnsResponder({
  [ROWS.ip.name]: { a: [198, 51, 100, 9] },
  [ROWS.ip.allowedName]: { a: [198, 51, 100, 10] },
  [ROWS.cidr.name]: { a: [203, 0, 113, 5] },
  [ROWS.cidr.allowedName]: { a: [203, 0, 114, 5] },
}, [127, 0, 0, 1]);

async function setUp(): Promise<void> {
  await enforce(api, reg, {
    resources: ['rk-domain.kz', '*.rk-suffix.kz', 'https://rk-url.kz/banned', '198.51.100.9', '203.0.113.0/24', '*.rk-exc.kz'],
  });
  // The court orders www restored, and one page under the restricted URL: both are exceptions.
  await enforce(api, reg, { action: 'restore', resources: ['www.rk-exc.kz', `https://rk-url.kz${ROWS.exception.urlAllowed}`] });
}

async function dig(port: number, name: string, type = 'A'): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+tries=1', '+time=3']);
  return /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
}

/** A TLS handshake through the SNI checker: 'denied' when it answers the access_denied alert. */
function tlsThroughSni(name: string): Promise<'denied' | 'passed'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: ports.sni, servername: name, rejectUnauthorized: false });
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    // Anything else (the relay's origin refusing, a reset) means the checker let the hello through.
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(/ALERT_ACCESS_DENIED/.test(err.code ?? '') ? 'denied' : 'passed'));
    socket.on('close', () => resolve('passed'));
    socket.on('secureConnect', () => { socket.destroy(); resolve('passed'); });
  });
}

/** An HTTP request to the block page as a sinkholed browser would send it. */
function blockPage(host: string, path = '/'): Promise<{ status: number; link: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ports.blockpage, path, headers: { host, accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, link: String(res.headers.link ?? "") }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function checkRestricted(name: string): Promise<boolean> {
  const res = await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}`);
  expect(res.status, name).toBe(200);
  return res.body.restricted;
}

/** The SNI checker's connection counter for one outcome (`allowed`, `blocked`, ...), as /metrics shows it. */
async function sniCount(result: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
  const m = new RegExp(`^tizilim_gateway_sni_connections_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  const registerUrl = await reg.app.listen({ host: '127.0.0.1', port: 0 });
  const upstreamPort = await upstream.start();
  ports = {
    dns: await freePort(), doh: await freePort(), metrics: await freePort(), sni: await freePort(), blockpage: await freePort(), unbound: await freePort(),
  };
  await setUp();

  gateway = startChild('services/filter-gateway/src/main.ts', {
    REGISTER_URL: registerUrl, ISP_TOKEN: reg.tokens.isp, GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: join(dir, 'gateway'),
    DNS_PORT: String(ports.dns), DOH_PORT: String(ports.doh), GATEWAY_METRICS_PORT: String(ports.metrics),
    SNI_PORT: String(ports.sni), BLOCKPAGE_PORT: String(ports.blockpage), RELAY_ALLOW_PRIVATE: '1',
    UPSTREAMS: `127.0.0.1:${upstreamPort}`, PUBLIC_BASE_URL: 'https://register.example.kz', SYNC_WAIT_SECONDS: '20', LOG_LEVEL: 'warn',
  });
  await waitForOk(`http://127.0.0.1:${ports.metrics}/readyz`, gateway);

  if (UNBOUND) {
    const res = await fetch(`${registerUrl}/v1/feed/rpz`, { headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    expect(res.status).toBe(200);
    const rpzFile = join(dir, 'tizilim.rpz');
    writeFileSync(rpzFile, await res.text());
    unbound = startUnbound(UNBOUND, { dir, port: ports.unbound, upstreamPort, rpzZone: RPZ_ZONE, rpzFile });
    await unbound.waitUntilAnswers(ROWS.domain.blocked, 3, 30_000);
  }
}, 120_000);

afterAll(async () => {
  await unbound?.stop();
  await gateway?.stop();
  upstream.close();
  await reg?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('domain rule (rk-domain.kz): exactly that name', () => {
  it('DNS', async () => {
    expect(await dig(ports.dns, ROWS.domain.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.dns, ROWS.domain.allowed)).toBe('NOERROR');
  });
  it('TLS/SNI', async () => {
    expect(await tlsThroughSni(ROWS.domain.blocked)).toBe('denied');
    expect(await tlsThroughSni(ROWS.domain.allowed)).toBe('passed');
  });
  it('HTTP 451', async () => {
    const page = await blockPage(ROWS.domain.blocked);
    expect(page.status).toBe(451);
    expect(page.link).toMatch(/rel="blocked-by"/);
    expect((await blockPage(ROWS.domain.allowed)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ', async () => {
    expect(await dig(ports.unbound, ROWS.domain.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, ROWS.domain.allowed)).toBe('NOERROR');
  });
  it('public check', async () => {
    expect(await checkRestricted(ROWS.domain.blocked)).toBe(true);
    expect(await checkRestricted(ROWS.domain.allowed)).toBe(false);
  });
});

describe('suffix rule (*.rk-suffix.kz): the name and everything under it', () => {
  it('DNS', async () => {
    expect(await dig(ports.dns, ROWS.suffix.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.dns, 'rk-suffix.kz')).toBe('NXDOMAIN');
    expect(await dig(ports.dns, ROWS.suffix.allowed)).toBe('NOERROR');
  });
  it('TLS/SNI', async () => {
    expect(await tlsThroughSni(ROWS.suffix.blocked)).toBe('denied');
    expect(await tlsThroughSni(ROWS.suffix.allowed)).toBe('passed');
  });
  it('HTTP 451', async () => {
    expect((await blockPage(ROWS.suffix.blocked)).status).toBe(451);
    expect((await blockPage(ROWS.suffix.allowed)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ', async () => {
    expect(await dig(ports.unbound, ROWS.suffix.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, 'rk-suffix.kz')).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, ROWS.suffix.allowed)).toBe('NOERROR');
  });
  it('public check', async () => {
    expect(await checkRestricted(ROWS.suffix.blocked)).toBe(true);
    expect(await checkRestricted(ROWS.suffix.allowed)).toBe(false);
  });
});

describe('URL rule (https://rk-url.kz/banned): only where the path is seen', () => {
  it('DNS: the host resolves (DNS cannot see the path)', async () => {
    expect(await dig(ports.dns, ROWS.url.host)).toBe('NOERROR');
  });
  it('TLS/SNI: the host passes (HTTPS hides the path)', async () => {
    expect(await tlsThroughSni(ROWS.url.host)).toBe('passed');
  });
  it('HTTP 451: the page and below it, not the rest of the host', async () => {
    expect((await blockPage(ROWS.url.host, ROWS.url.blockedPath)).status).toBe(451);
    expect((await blockPage(ROWS.url.host, '/banned')).status).toBe(451);
    expect((await blockPage(ROWS.url.host, ROWS.url.allowedPath)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ: the host resolves', async () => {
    expect(await dig(ports.unbound, ROWS.url.host)).toBe('NOERROR');
  });
  it('public check', async () => {
    expect(await checkRestricted(`https://${ROWS.url.host}${ROWS.url.blockedPath}`)).toBe(true);
    expect(await checkRestricted(`https://${ROWS.url.host}${ROWS.url.allowedPath}`)).toBe(false);
    expect(await checkRestricted(ROWS.url.host)).toBe(false);
  });
});

describe('IP rule (198.51.100.9): the address, and names that lead to it', () => {
  it('DNS: a name whose answer is 198.51.100.9 is blocked (NXDOMAIN), one at 198.51.100.10 resolves', async () => {
    expect(await dig(ports.dns, ROWS.ip.name)).toBe('NXDOMAIN');
    expect(await dig(ports.dns, ROWS.ip.allowedName)).toBe('NOERROR');
  });
  it('TLS/SNI: a name resolving to the address is denied', async () => {
    expect(await tlsThroughSni(ROWS.ip.name)).toBe('denied');
    expect(await tlsThroughSni(ROWS.ip.allowedName)).toBe('passed');
  });
  it('HTTP 451: the address as Host, and a name resolving to it', async () => {
    expect((await blockPage(ROWS.ip.address)).status).toBe(451);
    expect((await blockPage(ROWS.ip.name)).status).toBe(451);
    expect((await blockPage(ROWS.ip.allowedName)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ (rpz-ip)', async () => {
    expect(await dig(ports.unbound, ROWS.ip.name)).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, ROWS.ip.allowedName)).toBe('NOERROR');
  });
  it('public check', async () => {
    expect(await checkRestricted(ROWS.ip.address)).toBe(true);
    expect(await checkRestricted('198.51.100.10')).toBe(false);
  });
});

describe('CIDR rule (203.0.113.0/24): every address inside it', () => {
  it('DNS: a name whose answer is inside 203.0.113.0/24 is blocked (NXDOMAIN), one outside resolves', async () => {
    expect(await dig(ports.dns, ROWS.cidr.name)).toBe('NXDOMAIN');
    expect(await dig(ports.dns, ROWS.cidr.allowedName)).toBe('NOERROR');
  });
  it('TLS/SNI: a name resolving inside the prefix is denied', async () => {
    expect(await tlsThroughSni(ROWS.cidr.name)).toBe('denied');
    expect(await tlsThroughSni(ROWS.cidr.allowedName)).toBe('passed');
  });
  it('HTTP 451', async () => {
    expect((await blockPage(ROWS.cidr.address)).status).toBe(451);
    expect((await blockPage(ROWS.cidr.name)).status).toBe(451);
    expect((await blockPage(ROWS.cidr.allowedName)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ (rpz-ip)', async () => {
    expect(await dig(ports.unbound, ROWS.cidr.name)).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, ROWS.cidr.allowedName)).toBe('NOERROR');
  });
  it('public check', async () => {
    expect(await checkRestricted(ROWS.cidr.address)).toBe(true);
    expect(await checkRestricted('203.0.114.5')).toBe(false);
  });
});

describe('exception (www.rk-exc.kz restored under *.rk-exc.kz; a page restored under a URL rule)', () => {
  it('DNS: the excepted name resolves, names under it stay blocked', async () => {
    expect(await dig(ports.dns, ROWS.exception.allowed)).toBe('NOERROR');
    expect(await dig(ports.dns, ROWS.exception.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.dns, 'rk-exc.kz')).toBe('NXDOMAIN');
  });
  it('TLS/SNI', async () => {
    // Let through: relayed onward (here to 127.0.0.1:443, where nothing listens: an upstream error), never refused.
    const passed = async () => (await sniCount('allowed')) + (await sniCount('upstream_error'));
    const [blocked, before] = [await sniCount('blocked'), await passed()];
    expect(await tlsThroughSni(ROWS.exception.allowed)).toBe('passed');
    await expect.poll(passed, { timeout: 3000, interval: 50 }).toBe(before + 1);
    expect(await sniCount('blocked')).toBe(blocked);
    expect(await tlsThroughSni(ROWS.exception.blocked)).toBe('denied');
  });
  it('HTTP 451: neither the excepted name nor the excepted page is blocked', async () => {
    expect((await blockPage(ROWS.exception.allowed)).status).not.toBe(451);
    expect((await blockPage(ROWS.exception.blocked)).status).toBe(451);
    expect((await blockPage(ROWS.url.host, ROWS.exception.urlAllowed)).status).not.toBe(451);
    expect((await blockPage(ROWS.url.host, `${ROWS.exception.urlAllowed}/more`)).status).not.toBe(451);
  });
  it.runIf(UNBOUND)('Unbound via RPZ (rpz-passthru)', async () => {
    expect(await dig(ports.unbound, ROWS.exception.allowed)).toBe('NOERROR');
    expect(await dig(ports.unbound, ROWS.exception.blocked)).toBe('NXDOMAIN');
    expect(await dig(ports.unbound, 'rk-exc.kz')).toBe('NXDOMAIN');
    expect(unbound!.output()).toMatch(/rpz: applied \[tizilim\] www\.rk-exc\.kz\. rpz-passthru/);
  });
  it('public check', async () => {
    expect(await checkRestricted(ROWS.exception.allowed)).toBe(false);
    expect(await checkRestricted(ROWS.exception.blocked)).toBe(true);
    expect(await checkRestricted(`https://${ROWS.url.host}${ROWS.exception.urlAllowed}`)).toBe(false);
  });
});

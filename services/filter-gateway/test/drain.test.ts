import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher } from '@tizilim/shared';
import { createBlockPageServer } from '../src/blockpage/block-page-server.js';
import { createSniChecker } from '../src/sni/sni-checker.js';
import { DRAIN_GRACE_MS } from '../src/util/listen.js';
import { rule } from './blockpage-fixtures.js';
import { helloFor } from './sni-fixtures.js';
import { rawEchoOrigin } from './sni-net-fixtures.js';
import { startGateway } from './helpers/gateway.js';
import { TestUpstream } from './helpers/upstream-server.js';
import { buildQuery, parse, rcodeOf } from './helpers/wire.js';

/**
 * Issue #10: a stopping gateway drains its stream listeners (DNS over TCP, DoH; DoT joins the
 * same way), the SNI checker and the 451 block page: idle connections close at once, answers
 * (and relays) in flight go on, new connections are refused, and nothing outlives the grace
 * period.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

/** A DNS-over-TCP client on one connection: each answer as it comes, and when the server closed. */
function tcpClient(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  const answers: Buffer[] = [];
  let acc = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  sock.on('data', (c: Buffer) => {
    acc = Buffer.concat([acc, c]);
    while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
      answers.push(acc.subarray(2, 2 + acc.readUInt16BE(0)));
      acc = acc.subarray(2 + acc.readUInt16BE(0));
      waiting.shift()?.();
    }
  });
  sock.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => sock.once('close', () => resolve(Date.now())));
  return {
    connected: new Promise<void>((resolve) => sock.once('connect', () => resolve())),
    closed,
    answers,
    ask(name: string): void {
      const msg = buildQuery(name);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    },
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
  };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

async function setUp(mode: 'slow' | 'silent') {
  const up = await new TestUpstream({ 'slow.kz': { a: ['10.1.1.1'] }, 'quick.kz': { a: ['10.2.2.2'] } }).start();
  cleanups.push(() => up.close());
  const gw = await startGateway({ UPSTREAMS: `127.0.0.1:${up.port}`, UPSTREAM_TIMEOUT_MS: '5000', UPSTREAM_TOTAL_TIMEOUT_MS: '8000', DOH_PLAIN: '1' });
  let closed = false;
  cleanups.push(async () => { if (!closed) await gw.close(); });
  const close = async () => { closed = true; const t = Date.now(); await gw.close(); return Date.now() - t; };
  return { up, gw, close, slow: () => { up.mode = mode; up.slowMs = 600; } };
}

describe('draining on stop', () => {
  it('TCP: the idle connection closes at once, the query in flight is answered, then nothing new is accepted', async () => {
    const { gw, close, slow } = await setUp('slow');
    const idle = tcpClient(gw.dnsPort);
    await idle.connected;
    idle.ask('quick.kz');
    await idle.next();
    expect(rcodeOf(idle.answers[0]!)).toBe(0);

    slow();
    const busy = tcpClient(gw.dnsPort);
    await busy.connected;
    const answered = busy.next();
    busy.ask('slow.kz');
    await new Promise((r) => setTimeout(r, 100)); // the query is with the upstream now

    const started = Date.now();
    const stopping = close();
    expect(await idle.closed - started).toBeLessThan(300);
    await answered;
    const a = parse(busy.answers[0]!);
    expect(a.answers.map((r) => (r as { address?: string }).address)).toEqual(['10.1.1.1']);
    expect(await busy.closed - started).toBeLessThan(DRAIN_GRACE_MS);
    expect(await stopping).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(await refused(gw.dnsPort)).toBe(true);
  });

  it('TCP: a query that never gets its answer is cut at the end of the grace period', async () => {
    const { gw, close, slow } = await setUp('silent');
    slow();
    const stuck = tcpClient(gw.dnsPort);
    await stuck.connected;
    stuck.ask('slow.kz');
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const took = await close();
    expect(took).toBeGreaterThanOrEqual(DRAIN_GRACE_MS - 50);
    expect(took).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(await stuck.closed - started).toBeLessThan(DRAIN_GRACE_MS + 500);
  });

  it('DoH: the kept-alive idle connection closes, the request in flight gets its 200 with connection: close', async () => {
    const { gw, close, slow } = await setUp('slow');
    // Two clients: one keeps an idle connection, the other has a request in flight.
    const idleAgent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => { idleAgent.destroy(); busyAgent.destroy(); });
    const get = (name: string, agent: http.Agent) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: gw.dohPort, agent, path: `/dns-query?dns=${buildQuery(name).toString('base64url')}` }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
    });
    expect((await get('quick.kz', idleAgent)).status).toBe(200);
    const idleSocket = Object.values(idleAgent.freeSockets).flat()[0]!;
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(Date.now())));

    slow();
    const inFlight = get('slow.kz', busyAgent);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const stopping = close();
    expect(await idleClosed - started).toBeLessThan(300);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    expect(rcodeOf(res.body)).toBe(0);
    expect(await stopping).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(await refused(gw.dohPort)).toBe(true);
  });
});

/** A raw TCP client: what it has received, and when the other side closed. */
function rawClient(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  const waiting: { n: number; resolve: () => void }[] = [];
  sock.on('data', (c: Buffer) => {
    received = Buffer.concat([received, c]);
    for (const w of waiting.splice(0)) if (received.length >= w.n) w.resolve(); else waiting.push(w);
  });
  sock.on('error', () => undefined);
  return {
    sock,
    connected: new Promise<void>((resolve) => sock.once('connect', () => resolve())),
    closed: new Promise<number>((resolve) => sock.once('close', () => resolve(Date.now()))),
    get received() { return received; },
    /** Resolves once `n` bytes in all have arrived. */
    until: (n: number) => new Promise<void>((resolve) => { if (received.length >= n) resolve(); else waiting.push({ n, resolve }); }),
  };
}

describe('draining the SNI checker', () => {
  async function checker() {
    const origin = await rawEchoOrigin();
    cleanups.push(() => origin.close());
    const sni = createSniChecker({
      host: '127.0.0.1', port: 0, getMatcher: () => buildMatcher([]), resolve: () => Promise.reject(new Error('not used')),
      forwardTarget: { host: '127.0.0.1', port: origin.port }, registry: new Registry(), logger: pino({ level: 'silent' }),
    });
    const { port } = await sni.listen();
    let closed = false;
    cleanups.push(async () => { if (!closed) await sni.close(); });
    return { port, close: async () => { closed = true; const t = Date.now(); await sni.close(); return Date.now() - t; } };
  }

  it('a connection without a hello closes at once; a relay in flight goes on until it ends; nothing new is accepted', async () => {
    const { port, close } = await checker();
    const idle = rawClient(port);
    await idle.connected;
    const relayed = rawClient(port);
    await relayed.connected;
    const hello = helloFor('allowed.example.kz');
    relayed.sock.write(hello);
    await relayed.until(hello.length); // the echo origin sent the hello back: the relay is up

    const started = Date.now();
    const stopping = close();
    expect(await idle.closed - started).toBeLessThan(300);
    relayed.sock.write('still here');
    await relayed.until(hello.length + 10);
    expect(relayed.received.subarray(hello.length).toString()).toBe('still here');
    relayed.sock.end();
    await relayed.closed;
    expect(await stopping).toBeLessThan(DRAIN_GRACE_MS);
    expect(await refused(port)).toBe(true);
  });

  it('a relay that does not end is cut at the end of the grace period', async () => {
    const { port, close } = await checker();
    const relayed = rawClient(port);
    await relayed.connected;
    const hello = helloFor('allowed.example.kz');
    relayed.sock.write(hello);
    await relayed.until(hello.length);
    const started = Date.now();
    const took = await close();
    expect(took).toBeGreaterThanOrEqual(DRAIN_GRACE_MS - 50);
    expect(took).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(await relayed.closed - started).toBeLessThan(DRAIN_GRACE_MS + 500);
  });
});

describe('draining the 451 block page', () => {
  async function blockPage(originDelayMs: number) {
    const origin = http.createServer((_req, res) => {
      setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('from the origin'); }, originDelayMs);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { origin.close(() => r()); origin.closeAllConnections(); }));
    const page = createBlockPageServer({
      host: '127.0.0.1', port: 0, getMatcher: () => buildMatcher([rule('domain', 'blocked.test', 7)]), publicBaseUrl: 'https://register.example.kz',
      entryDetails: async () => undefined, resolve: async () => ['127.0.0.1'], originPort: (origin.address() as net.AddressInfo).port,
      allowInsideDestinations: true, registry: new Registry(), logger: pino({ level: 'silent' }),
    });
    const { port } = await page.listen();
    let closed = false;
    cleanups.push(async () => { if (!closed) await page.close(); });
    return { port, close: async () => { closed = true; const t = Date.now(); await page.close(); return Date.now() - t; } };
  }

  const get = (port: number, host: string, agent: http.Agent) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, agent, path: '/page', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
  });

  it('the kept-alive idle connection closes at once; the proxied request in flight is answered with connection: close', async () => {
    const { port, close } = await blockPage(600);
    const idleAgent = new http.Agent({ keepAlive: true });
    const busyAgent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => { idleAgent.destroy(); busyAgent.destroy(); });
    const page = await get(port, 'blocked.test', idleAgent);
    expect(page.status).toBe(451);
    expect(page.headers.connection).toBe('keep-alive');
    const idleSocket = Object.values(idleAgent.freeSockets).flat()[0]!;
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(Date.now())));

    const inFlight = get(port, 'allowed.test', busyAgent);
    await new Promise((r) => setTimeout(r, 150)); // with the origin now
    const started = Date.now();
    const stopping = close();
    expect(await idleClosed - started).toBeLessThan(300);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toBe('from the origin');
    expect(res.headers.connection).toBe('close');
    expect(await stopping).toBeLessThan(DRAIN_GRACE_MS);
    expect(await refused(port)).toBe(true);
  });

  it('a request whose origin never answers is cut at the end of the grace period', async () => {
    const { port, close } = await blockPage(60_000);
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => { agent.destroy(); });
    const inFlight = get(port, 'allowed.test', agent).then(() => 'answered', () => 'cut');
    await new Promise((r) => setTimeout(r, 150));
    const took = await close();
    expect(took).toBeGreaterThanOrEqual(DRAIN_GRACE_MS - 50);
    expect(took).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(await inFlight).toBe('cut');
  });
});

describe('draining the whole gateway', () => {
  const freePort = () => new Promise<number>((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });

  it('SNI relays, block page connections and DNS streams drain together: one grace, not one per service', async () => {
    const origin = await rawEchoOrigin();
    cleanups.push(() => origin.close());
    // The gateway does not tell which ports SNI and the block page got: they are given here.
    const [sniPort, pagePort] = [await freePort(), await freePort()];
    const gw = await startGateway({ SNI_PORT: String(sniPort), BLOCKPAGE_PORT: String(pagePort), SNI_FORWARD_TARGET: `127.0.0.1:${origin.port}` });
    let closed = false;
    cleanups.push(async () => { if (!closed) await gw.close(); });

    const relayed = rawClient(sniPort);
    await relayed.connected;
    const hello = helloFor('allowed.example.kz');
    relayed.sock.write(hello);
    await relayed.until(hello.length);
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => { agent.destroy(); });
    const page = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: pagePort, agent, path: '/', headers: { host: '127.0.0.1' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode!)); }).on('error', reject);
    });
    expect(page).toBeGreaterThanOrEqual(400); // refused (no origin inside); what matters is the kept-alive socket
    const pageSocket = Object.values(agent.freeSockets).flat()[0]!;
    const pageClosed = new Promise<number>((resolve) => pageSocket.once('close', () => resolve(Date.now())));

    const started = Date.now();
    closed = true;
    await gw.close();
    const took = Date.now() - started;
    expect(await pageClosed - started).toBeLessThan(300);
    expect(await relayed.closed - started).toBeLessThan(DRAIN_GRACE_MS + 500);
    expect(took).toBeLessThan(DRAIN_GRACE_MS + 1000); // the relay holds one grace; the rest drain beside it
    expect(await refused(sniPort)).toBe(true);
    expect(await refused(pagePort)).toBe(true);
  });
});

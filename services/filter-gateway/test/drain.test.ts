import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DRAIN_GRACE_MS } from '../src/util/listen.js';
import { startGateway } from './helpers/gateway.js';
import { TestUpstream } from './helpers/upstream-server.js';
import { buildQuery, parse, rcodeOf } from './helpers/wire.js';

/**
 * Issue #10: a stopping gateway drains its stream listeners (DNS over TCP, DoH; DoT joins the
 * same way): idle connections close at once, answers in flight are still written, new
 * connections are refused, and nothing outlives the grace period.
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

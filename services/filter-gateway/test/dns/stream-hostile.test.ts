import net from 'node:net';
import tls from 'node:tls';
import { seededRandom } from '@tizilim/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempDir } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, rcodeOf, tcpAsk, udpAsk } from '../helpers/wire.js';

type Gw = Awaited<ReturnType<typeof startGateway>>;
const LIMITS = {
  DNS_TCP_MESSAGE_TIMEOUT_MS: '400', DNS_TCP_IDLE_TIMEOUT_MS: '800', DNS_TLS_HANDSHAKE_TIMEOUT_MS: '500',
  DNS_TCP_MAX_CONNECTIONS: '12', DNS_TCP_MAX_PER_CLIENT: '4',
};

/** A plain TCP or a TLS connection to the gateway, open (and handshaken) when it resolves. */
function open(gw: Gw, kind: 'tcp' | 'dot', localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s: net.Socket = kind === 'tcp'
      ? net.connect({ host: '127.0.0.1', port: gw.dnsPort, localAddress }, () => resolve(s))
      : tls.connect({ socket: net.connect({ host: '127.0.0.1', port: gw.dotPort, localAddress }), rejectUnauthorized: false }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Milliseconds until the gateway closes `s` (or the bound passes: then Infinity). */
function closedWithin(s: net.Socket, boundMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    if (s.destroyed) return resolve(0);
    const timer = setTimeout(() => { s.destroy(); resolve(Infinity); }, boundMs);
    s.on('error', () => undefined);
    s.once('close', () => { clearTimeout(timer); resolve(Date.now() - t0); });
    s.resume();
  });
}

function frame(msg: Buffer): Buffer {
  const l = Buffer.alloc(2); l.writeUInt16BE(msg.length);
  return Buffer.concat([l, msg]);
}

async function metric(gw: Gw, name: string, labels: string): Promise<number> {
  const text = await gw.registry.metrics();
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('DNS over TCP and DoT against hostile clients (RFC 7766 6.2.3, RFC 7858 3.4)', () => {
  let gw: Gw; let up: TestUpstream;
  beforeAll(async () => {
    up = await new TestUpstream({ 'allowed.kz': { a: ['10.1.1.1'] } }).start();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, ...LIMITS });
  });
  afterAll(async () => { await gw.close(); await up.close(); });

  const stillServes = async (): Promise<void> => {
    expect(rcodeOf((await udpAsk(gw.dnsPort, buildQuery('blocked.kz')))!)).toBe(3);
    expect(rcodeOf((await tcpAsk(gw.dnsPort, buildQuery('allowed.kz')))!)).toBe(0);
  };

  for (const kind of ['tcp', 'dot'] as const) {
    it(`${kind}: a length prefix then one byte every 5 s is cut at the message deadline`, async () => {
      const before = await metric(gw, 'dns_connections_cut_total', `transport="${kind}",reason="message-deadline"`);
      const s = await open(gw, kind);
      s.write(Buffer.from([0x00, 0x1d, 0x12]));
      const trickle = setInterval(() => { if (!s.destroyed) s.write(Buffer.from([0x34])); }, 5_000);
      const ms = await closedWithin(s, 3_000);
      clearInterval(trickle);
      expect(ms).toBeLessThan(1_500);
      expect(await metric(gw, 'dns_connections_cut_total', `transport="${kind}",reason="message-deadline"`)).toBe(before + 1);
    });

    it(`${kind}: a silent connection is closed at the idle deadline, a busy one is not`, async () => {
      const silent = await open(gw, kind);
      const busy = await open(gw, kind);
      const tick = setInterval(() => busy.write(frame(buildQuery('blocked.kz'))), 200);
      const ms = await closedWithin(silent, 3_000);
      expect(ms).toBeGreaterThan(300);
      expect(ms).toBeLessThan(2_000);
      expect(busy.destroyed).toBe(false);
      clearInterval(tick);
      busy.destroy();
    });

    it(`${kind}: connections over the per-client cap are refused, and counted`, async () => {
      const before = await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="client-cap"`);
      const tlsBefore = await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="tls-handshake"`);
      const held = await Promise.all([1, 2, 3, 4].map(() => open(gw, kind, '127.0.0.2')));
      const extra = net.connect({ host: '127.0.0.1', port: kind === 'tcp' ? gw.dnsPort : gw.dotPort, localAddress: '127.0.0.2' });
      expect(await closedWithin(extra, 2_000)).toBeLessThan(1_000);
      expect(await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="client-cap"`)).toBe(before + 1);
      // Counted once: a refusal at accept is not also a failed handshake.
      expect(await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="tls-handshake"`)).toBe(tlsBefore);
      // Another address is still welcome, and a slot freed is a slot again.
      const other = await open(gw, kind, '127.0.0.3');
      held[0]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await open(gw, kind, '127.0.0.2');
      for (const s of [...held, other, again]) s.destroy();
    });

    it(`${kind}: a flood of connections from many addresses stops at the total cap; service goes on`, async () => {
      const before = await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="total-cap"`);
      const socks: net.Socket[] = [];
      for (let a = 10; a < 60; a++) {
        const s = net.connect({ host: '127.0.0.1', port: kind === 'tcp' ? gw.dnsPort : gw.dotPort, localAddress: `127.0.1.${a}` });
        s.on('error', () => undefined);
        socks.push(s);
      }
      await new Promise((r) => setTimeout(r, 400));
      const refused = (await metric(gw, 'dns_connections_refused_total', `transport="${kind}",reason="total-cap"`)) - before;
      expect(refused).toBeGreaterThanOrEqual(50 - 12);
      for (const s of socks) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      await stillServes();
    });
  }

  it('tcp: damaged and oversized frames (seeded) get FORMERR or a closed connection, never a crash', async () => {
    const rnd = seededRandom(7766);
    for (let n = 0; n < 60; n++) {
      const s = await open(gw, 'tcp');
      const len = n === 0 ? 65_535 : Math.floor(rnd() * 600);
      const body = Buffer.alloc(len);
      for (let k = 0; k < len; k++) body[k] = Math.floor(rnd() * 256);
      if (n % 3 === 0 && len >= 12) { body[2] = 0; body[4] = 0; body[5] = 1; } // a query header, damaged question
      s.write(frame(body));
      if (n % 4 === 0) s.write(Buffer.from([0xff])); // and half a length prefix
      await closedWithin(s, 50);
    }
    await stillServes();
  });

  it('dot: TLS garbage and a client that never says hello are refused and counted', async () => {
    const before = await metric(gw, 'dns_connections_refused_total', 'transport="dot",reason="tls-handshake"');
    const garbage = net.connect({ host: '127.0.0.1', port: gw.dotPort });
    garbage.on('connect', () => garbage.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
    expect(await closedWithin(garbage, 2_000)).toBeLessThan(1_000);
    const silent = net.connect({ host: '127.0.0.1', port: gw.dotPort });
    const ms = await closedWithin(silent, 3_000);
    expect(ms).toBeGreaterThan(300);
    expect(ms).toBeLessThan(2_000);
    expect(await metric(gw, 'dns_connections_refused_total', 'transport="dot",reason="tls-handshake"')).toBeGreaterThanOrEqual(before + 2);
    await stillServes();
  });

  it('doh: TLS garbage is refused and counted; connections over the per-client cap are closed at accept', async () => {
    const before = await metric(gw, 'dns_connections_refused_total', 'transport="doh",reason="tls-handshake"');
    const garbage = net.connect({ host: '127.0.0.1', port: gw.dohPort });
    garbage.on('connect', () => garbage.write(Buffer.alloc(300, 0x16)));
    expect(await closedWithin(garbage, 2_000)).toBeLessThan(1_000);
    expect(await metric(gw, 'dns_connections_refused_total', 'transport="doh",reason="tls-handshake"')).toBeGreaterThanOrEqual(before + 1);
    const capBefore = await metric(gw, 'dns_connections_refused_total', 'transport="doh",reason="client-cap"');
    const held = await Promise.all([1, 2, 3, 4].map(() => new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: net.connect({ host: '127.0.0.1', port: gw.dohPort, localAddress: '127.0.0.4' }), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => resolve(s));
      s.on('error', reject);
    })));
    const extra = net.connect({ host: '127.0.0.1', port: gw.dohPort, localAddress: '127.0.0.4' });
    expect(await closedWithin(extra, 2_000)).toBeLessThan(1_000);
    expect(await metric(gw, 'dns_connections_refused_total', 'transport="doh",reason="client-cap"')).toBe(capBefore + 1);
    for (const s of held) s.destroy();
    await stillServes();
  });

  it('dot: close() stops accepting and ends open connections', async () => {
    const dataDir = await tempDir();
    const g = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}` });
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const x = tls.connect({ host: '127.0.0.1', port: g.dotPort, rejectUnauthorized: false }, () => resolve(x));
      x.on('error', reject);
    });
    const closing = g.close();
    expect(await closedWithin(s, 3_000)).toBeLessThan(1_500);
    await closing;
    await expect(open(g, 'dot')).rejects.toThrow(/ECONNREFUSED/);
  });
});

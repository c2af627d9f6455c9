import dgram from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildMatcher, seededRandom, type FeedRule, type Matcher } from '@tizilim/shared';
import { createQuicChecker, type QuicChecker, type QuicCheckerOptions } from '../src/quic/quic-checker.js';
import { QUIC_V1 } from '../src/quic/quic-versions.js';
import { cryptoFrame, encodeInitial, helloOverInitials, quicInitialRows, recordedHello } from './quic-fixtures.js';

const logger = pino({ level: 'silent' });
const rule = (kind: FeedRule['kind'], value: string, entry: number): FeedRule => ({ id: `r${entry}`, kind, value, mode: 'restrict', entry });
const PQ_NAME = 'it-mil-v086.prod.surfshark.com';
const matcher: Matcher = buildMatcher([rule('domain', 'www.youtube.com', 1), rule('domain_suffix', 'surfshark.com', 2), rule('ip', '192.0.2.7', 3)]);
const DCID = Buffer.from('0011223344556677', 'hex');
const SERVER_CID = Buffer.from('8899aabbccddeeff', 'hex');
const rows = quicInitialRows();
const row = (sni: string): Buffer => rows.find((r) => r.sni === sni && r.index === 1)!.datagram;

/** A UDP "origin" that records what reaches it and can answer. */
interface Origin { port: number; got: Buffer[]; sock: dgram.Socket; lastFrom: dgram.RemoteInfo | undefined }
async function udpOrigin(): Promise<Origin> {
  const sock = dgram.createSocket('udp4');
  const o: Origin = { port: 0, got: [], sock, lastFrom: undefined };
  sock.on('message', (m, r) => { o.got.push(m); o.lastFrom = r; });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  o.port = sock.address().port;
  return o;
}

/** A client socket that records what the checker sends it. */
async function client(): Promise<{ sock: dgram.Socket; got: Buffer[]; send(d: Buffer, port: number): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { sock, got, send: (d, port) => new Promise((r) => sock.send(d, port, '127.0.0.1', () => r())) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await sleep(10); }
}

async function outcome(registry: Registry, result: string): Promise<number> {
  const m = await registry.getSingleMetric('tizilim_gateway_quic_flows_total')!.get();
  return m.values.find((v) => v.labels.result === result)?.value ?? 0;
}

let origin: Origin;
const open: QuicChecker[] = [];
const sockets: dgram.Socket[] = [];
async function checker(extra: Partial<QuicCheckerOptions>): Promise<{ port: number; registry: Registry }> {
  const registry = new Registry();
  const c = createQuicChecker({ host: '127.0.0.1', port: 0, getMatcher: () => matcher, resolve: async () => { throw new Error('NXDOMAIN'); }, registry, logger, ...extra });
  open.push(c);
  const { port } = await c.listen();
  return { port: port!, registry };
}
async function newClient(): ReturnType<typeof client> { const c = await client(); sockets.push(c.sock); return c; }

beforeAll(async () => { origin = await udpOrigin(); });
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  for (const s of sockets.splice(0)) s.close();
  origin.got.length = 0;
});
afterAll(() => origin.sock.close());

describe('QUIC checker: decisions', () => {
  it('relays an allowed flow to QUIC_FORWARD_TARGET byte for byte, and the answers back', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const c = await newClient();
    const d = row('www.google.com');
    await c.send(d, port);
    await until(() => origin.got.length === 1);
    expect(origin.got[0]!.equals(d)).toBe(true);
    origin.sock.send(Buffer.alloc(1000, 7), origin.lastFrom!.port, '127.0.0.1');
    await until(() => c.got.length === 1);
    expect(c.got[0]!.length).toBe(1000);
    // Later datagrams of the flow follow the first one.
    await c.send(Buffer.from([0x40, 1, 2, 3]), port);
    await until(() => origin.got.length === 2);
    expect(await outcome(registry, 'allowed')).toBe(1);
  });

  it('drops a flow to a blocked name and everything after it; nothing reaches the origin or the client', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const c = await newClient();
    await c.send(row('www.youtube.com'), port);
    await c.send(row('www.youtube.com'), port);
    await c.send(Buffer.from([0x40, 1, 2, 3]), port);
    await sleep(150);
    expect(await outcome(registry, 'blocked')).toBe(1);
    expect(origin.got).toHaveLength(0);
    expect(c.got).toHaveLength(0);
  });

  it('a two-packet post-quantum hello, second packet to the server CID: held until whole, then decided', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const pq = recordedHello(PQ_NAME);
    const [a, b] = helloOverInitials(pq, QUIC_V1, DCID, 1100, SERVER_CID);
    const c = await newClient();
    await c.send(a!, port);
    await sleep(50);
    await c.send(b!, port);
    await sleep(100);
    expect(await outcome(registry, 'blocked')).toBe(1);
    expect(origin.got).toHaveLength(0);
  });

  it('a two-packet hello to an allowed name reaches the origin as both datagrams, in order', async () => {
    const { port } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const hello = Buffer.from(recordedHello(PQ_NAME));
    // Rename the SNI to an allowed name of the same length.
    const at = hello.indexOf(PQ_NAME);
    hello.write('it-mil-v086.prod.surfshark.org', at);
    const [a, b] = helloOverInitials(hello, QUIC_V1, DCID, 1100, SERVER_CID);
    const c = await newClient();
    await c.send(a!, port);
    await sleep(30);
    expect(origin.got).toHaveLength(0);
    await c.send(b!, port);
    await until(() => origin.got.length === 2);
    expect(origin.got[0]!.equals(a!)).toBe(true);
    expect(origin.got[1]!.equals(b!)).toBe(true);
  });

  it('resolves the name through the gateway and blocks on an IP rule of where it leads', async () => {
    const table: Record<string, string[]> = { 'www.google.com': ['192.0.2.7'] };
    const { port, registry } = await checker({ resolve: async (n) => table[n] ?? [] });
    const c = await newClient();
    await c.send(row('www.google.com'), port);
    await sleep(150);
    expect(await outcome(registry, 'blocked')).toBe(1);
  });
});

describe('QUIC checker: the corpus over real sockets', () => {
  it('replays every flow of quic-initials.tsv: blocked names never reach the origin, allowed flows do byte for byte, unreadable ones are dropped', async () => {
    const named = [...new Set(rows.filter((r) => r.sni !== '-' && !r.note.startsWith('gQUIC')).map((r) => r.sni))].sort();
    // Every other name blocked, and the ECH hello's outer name too.
    const blockedNames = new Set(named.filter((_n, i) => i % 2 === 0));
    blockedNames.add('meet.google.com');
    const m = buildMatcher([...blockedNames].map((n, i) => rule('domain', n, 100 + i)));
    const registry = new Registry();
    const c = createQuicChecker({ host: '127.0.0.1', port: 0, getMatcher: () => m, resolve: async () => [], forwardTarget: { host: '127.0.0.1', port: origin.port }, registry, logger });
    open.push(c);
    const port = (await c.listen()).port!;
    const flows = new Map<string, typeof rows>();
    for (const r of rows) flows.set(r.flow, [...(flows.get(r.flow) ?? []), r]);
    const expectRelayed: Buffer[] = [];
    for (const list of flows.values()) {
      const cl = await newClient();
      const name = list.find((r) => r.sni !== '-' && !r.note.startsWith('gQUIC'))?.sni;
      // A relayed flow passes on everything the client sends once the hello is read, from that
      // datagram on, plus the ones held before it.
      if (name !== undefined && !blockedNames.has(name) && list[0]!.datagram.length >= 1200 && !list[0]!.note.startsWith('undecryptable')) {
        // Except Initials to a server CID: with no server answering here, the checker has not
        // learnt that CID, so such a packet counts as another connection (read afresh, dropped).
        for (const r of list) if (!r.note.includes('DCID differs')) expectRelayed.push(r.datagram);
      }
      for (const r of list) await cl.send(r.datagram, port);
      // Paced, so loopback socket buffers do not overflow and drop what this test counts.
      await sleep(5);
    }
    await sleep(300);
    const seen = new Set(origin.got.map((d) => d.toString('hex')));
    const missing = rows.filter((r) => expectRelayed.includes(r.datagram) && !seen.has(r.datagram.toString("hex"))).map((r) => `${r.flow} #${r.index} ${r.note}`);
    expect(missing).toEqual([]);
    for (const r of rows) {
      if (r.sni !== '-' && blockedNames.has(r.sni)) expect(seen.has(r.datagram.toString('hex')), `${r.sni} reached the origin`).toBe(false);
    }
    expect(await outcome(registry, 'blocked')).toBe([...flows.values()].filter((l) => l.some((r) => blockedNames.has(r.sni) && !r.note.startsWith('gQUIC'))).length);
    expect(await outcome(registry, 'reserved_version')).toBeGreaterThan(0);
    expect(await outcome(registry, 'gquic')).toBeGreaterThan(0);
    const ech = await registry.getSingleMetric('tizilim_gateway_quic_ech_total')!.get();
    expect(ech.values[0]!.value).toBe(1);
  });
});

describe('QUIC checker: a relayed flow cannot smuggle another hello', () => {
  const allowedHello = (): Buffer => {
    const h = Buffer.from(recordedHello(PQ_NAME));
    h.write('it-mil-v086.prod.surfshark.org', h.indexOf(PQ_NAME));
    return h;
  };

  async function relayedFlow(): Promise<{ port: number; registry: Registry; c: Awaited<ReturnType<typeof client>>; first: Buffer[] }> {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const c = await newClient();
    const first = helloOverInitials(allowedHello(), QUIC_V1, DCID, 1100);
    for (const d of first) await c.send(d, port);
    await until(() => origin.got.length === first.length);
    return { port, registry, c, first };
  }

  it('passes retransmissions of the decided hello on', async () => {
    const { port, c, first } = await relayedFlow();
    await c.send(first[0]!, port);
    await until(() => origin.got.length === first.length + 1);
  });

  it('a new connection (another DCID) on the same address and port is read afresh, and blocked', async () => {
    const { port, registry, c, first } = await relayedFlow();
    const blocked = helloOverInitials(recordedHello(PQ_NAME), QUIC_V1, Buffer.from('abababababababab', 'hex'), 1100);
    for (const d of blocked) await c.send(d, port);
    await sleep(150);
    expect(await outcome(registry, 'restarted')).toBe(1);
    expect(await outcome(registry, 'blocked')).toBe(1);
    expect(origin.got).toHaveLength(first.length);
  });

  it('different bytes at an offset already read (a second hello under the same DCID) end the flow', async () => {
    const { port, registry, c, first } = await relayedFlow();
    const smuggled = helloOverInitials(recordedHello(PQ_NAME), QUIC_V1, DCID, 1100);
    // The tail after the name is the same bytes (passed on); the head differs where the name is.
    await c.send(smuggled[0]!, port);
    await sleep(150);
    expect(await outcome(registry, 'conflict')).toBe(1);
    expect(origin.got).toHaveLength(first.length);
  });

  it('once the client has shown it has the handshake keys, any Initial is another connection', async () => {
    const { port, registry, c, first } = await relayedFlow();
    await c.send(Buffer.from([0x41, 1, 2, 3]), port);
    await until(() => origin.got.length === first.length + 1);
    const again = helloOverInitials(recordedHello(PQ_NAME), QUIC_V1, DCID, 1100);
    for (const d of again) await c.send(d, port);
    await sleep(150);
    expect(await outcome(registry, 'restarted')).toBe(1);
    expect(await outcome(registry, 'blocked')).toBe(1);
    expect(origin.got).toHaveLength(first.length + 1);
  });
});

describe('QUIC checker: never a relay into the inside', () => {
  it.each([
    ['a name resolving to loopback', { 'www.google.com': ['127.0.0.1'] }],
    ['a name resolving to the metadata address', { 'www.google.com': ['169.254.169.254'] }],
    ['a name resolving to a private and a CGNAT address', { 'www.google.com': ['10.1.2.3', '100.64.0.1'] }],
    ['a name resolving to an IPv4-mapped loopback', { 'www.google.com': ['::ffff:127.0.0.1'] }],
  ])('drops %s', async (_n, table: Record<string, string[]>) => {
    const { port, registry } = await checker({ resolve: async (n) => table[n] ?? [], upstreamPort: origin.port });
    const c = await newClient();
    await c.send(row('www.google.com'), port);
    await sleep(150);
    expect(await outcome(registry, 'inside')).toBe(1);
    expect(origin.got).toHaveLength(0);
  });

  it('drops a hello naming localhost, without resolving it', async () => {
    let asked = 0;
    const { port, registry } = await checker({ resolve: async () => { asked++; return ['127.0.0.1']; }, upstreamPort: origin.port });
    const c = await newClient();
    await c.send(rows.find((r) => r.sni === 'localhost')!.datagram, port);
    await sleep(150);
    expect(await outcome(registry, 'inside')).toBe(1);
    expect(asked).toBe(0);
  });

  it('relays to loopback only with the RELAY_ALLOW_PRIVATE escape hatch', async () => {
    const { port } = await checker({ resolve: async () => ['127.0.0.1'], upstreamPort: origin.port, allowInsideDestinations: true });
    const c = await newClient();
    await c.send(row('www.google.com'), port);
    await until(() => origin.got.length === 1);
  });
});

describe('QUIC checker: bounded, no amplification', () => {
  it('an unvalidated client gets no more bytes than it sent; the rest waits (bounded) until it earns it', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const c = await newClient();
    const d = row('www.google.com');
    await c.send(d, port);
    await until(() => origin.got.length === 1);
    const bytes = (): number => c.got.reduce((n, m) => n + m.length, 0);
    // A spoofed-looking flood from the origin: 20 datagrams of 1200 bytes for one of 1350.
    for (let i = 0; i < 20; i++) origin.sock.send(Buffer.alloc(1200, i), origin.lastFrom!.port, '127.0.0.1');
    await sleep(200);
    expect(bytes()).toBeLessThanOrEqual(d.length);
    expect(bytes()).toBe(1200);
    // Beyond the 16 KiB queue the rest is dropped and counted.
    const held = await registry.getSingleMetric('tizilim_gateway_quic_amplification_held_bytes_total')!.get();
    expect(held.values[0]!.value).toBeGreaterThan(0);
    // A padded Initial ACK earns one more datagram's worth.
    await c.send(Buffer.concat([Buffer.from([0xc0]), Buffer.alloc(1199)]), port);
    await until(() => bytes() === 2400);
    await sleep(50);
    expect(bytes()).toBe(2400);
    // A short-header packet proves the address: the queue drains, and what follows flows freely.
    await c.send(Buffer.from([0x41, 9, 9, 9]), port);
    await until(() => bytes() === 1200 * 14);
    for (let i = 0; i < 6; i++) origin.sock.send(Buffer.alloc(1200, i), origin.lastFrom!.port, '127.0.0.1');
    await until(() => bytes() === 1200 * 20);
  });

  it('sends nothing to clients whose flows it drops or cannot read', async () => {
    const { port } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const c = await newClient();
    for (const r of rows.filter((x) => x.sni === '-' || x.sni === 'www.youtube.com')) await c.send(r.datagram, port);
    await sleep(150);
    expect(c.got).toHaveLength(0);
  });

  it('caps flows, and forgets a half-read hello at the deadline', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port }, maxFlows: 3, helloTimeoutMs: 200 });
    const pq = recordedHello(PQ_NAME);
    const [a] = helloOverInitials(pq, QUIC_V1, DCID, 1100);
    const clients = await Promise.all(Array.from({ length: 5 }, () => newClient()));
    for (const c of clients) await c.send(a!, port);
    await sleep(100);
    expect(await outcome(registry, 'flow_cap')).toBe(2);
    await sleep(900);
    expect(await outcome(registry, 'timeout')).toBe(3);
    const active = await registry.getSingleMetric('tizilim_gateway_quic_flows_active')!.get();
    expect(active.values[0]!.value).toBe(0);
  });

  it('caps the bytes held for one flow', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port }, maxBufferedBytesPerFlow: 4000 });
    const c = await newClient();
    // Only the first fragment of the hello, then retransmissions of it: never whole.
    const first = encodeInitial({ version: QUIC_V1, keyDcid: DCID, pn: 0, frames: cryptoFrame(0, recordedHello(PQ_NAME).subarray(0, 500)) });
    for (let i = 0; i < 5; i++) await c.send(first, port);
    await sleep(100);
    expect(await outcome(registry, 'buffer_cap')).toBe(1);
  });

  it('survives a seeded flood of random, short and damaged datagrams from many sources', async () => {
    const { port, registry } = await checker({ forwardTarget: { host: '127.0.0.1', port: origin.port } });
    const rnd = seededRandom(443);
    const cs = await Promise.all(Array.from({ length: 8 }, () => newClient()));
    for (let i = 0; i < 800; i++) {
      const base = Buffer.from(rows[Math.floor(rnd() * rows.length)]!.datagram);
      if (i % 3 === 0) base[Math.floor(rnd() * base.length)]! ^= 0xff;
      const d = i % 5 === 0 ? Buffer.from(Array.from({ length: Math.floor(rnd() * 1500) }, () => Math.floor(rnd() * 256)))
        : i % 97 === 0 ? Buffer.concat([base, Buffer.alloc(60_000, 0xff)]) : base;
      cs[i % cs.length]!.sock.send(d, port, '127.0.0.1');
      if (i % 50 === 0) await sleep(1);
    }
    await sleep(300);
    // Still serving: a fresh allowed flow is relayed.
    const c = await newClient();
    const before = origin.got.length;
    await c.send(row('www.google.com'), port);
    await until(() => origin.got.length > before);
    expect(await outcome(registry, 'short_datagram')).toBeGreaterThan(0);
  });
});

import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Query, type Answer } from '../../src/dns/pipeline/types.js';
import { udpBatchBinding } from '../../src/transports/udp-batch-binding.js';
import { startBatchedUdp } from '../../src/transports/udp-batched.js';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { startGateway, tempDir } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, parse, rcodeOf, udpAsk } from '../helpers/wire.js';

/**
 * Sends the messages from one socket in waves of `wave` without waiting between them inside a
 * wave (so they reach the gateway together and are read as batches), and collects replies by
 * ID. Waves keep each burst inside the default socket buffers, where UDP would drop the rest.
 */
async function burst(
  port: number, msgs: Buffer[], host = '127.0.0.1', wave = 100, answered: (m: Buffer) => boolean = () => true,
): Promise<Map<number, Buffer[]>> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const byId = new Map<number, Buffer[]>();
  let got = 0;
  let waiter: (() => void) | undefined;
  let expected = 0;
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    byId.set(id, [...(byId.get(id) ?? []), m]);
    if (++got >= expected) waiter?.();
  });
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  for (let i = 0; i < msgs.length; i += wave) {
    const part = msgs.slice(i, i + wave);
    expected += part.filter(answered).length;
    const arrived = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      waiter = () => { clearTimeout(timer); resolve(); };
    });
    for (const m of part) sock.send(m, port, host);
    await arrived;
  }
  // A little longer: a duplicate reply would arrive now.
  await new Promise((r) => setTimeout(r, 100));
  sock.close();
  return byId;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('batched UDP (recvmmsg/sendmmsg addon)', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>; let up: TestUpstream;
  beforeAll(async () => {
    up = await new TestUpstream({
      'allowed.kz': { a: ['10.1.1.1'] },
      'big.kz': { txtCount: 30 },
    }).start();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_UDP_BATCH: 'on' });
  });
  afterAll(async () => { await gw.close(); await up.close(); });

  it('is the UDP path when the addon is built', () => {
    expect(gw.udpMode).toBe('batched');
  });

  it('answers a burst of blocked, allowed and malformed queries once each, with their IDs', async () => {
    const msgs: Buffer[] = [];
    const want = new Map<number, number>();
    for (let id = 1; id <= 600; id++) {
      const kind = id % 3;
      if (kind === 0) msgs.push(buildQuery(`n${id}.evil.kz`, { id, edns: {} }));
      else if (kind === 1) msgs.push(buildQuery('allowed.kz', { id }));
      else {
        // A header that promises a question and brings none.
        const h = Buffer.alloc(12);
        h.writeUInt16BE(id, 0);
        h.writeUInt16BE(1, 4);
        msgs.push(h);
      }
      want.set(id, kind === 0 ? 3 : kind === 1 ? 0 : 1);
    }
    const before = await gw.registry.metrics();
    const replies = await burst(gw.dnsPort, msgs);
    expect(replies.size).toBe(600);
    for (const [id, rcode] of want) {
      const r = replies.get(id)!;
      expect(r, `reply to ${id}`).toHaveLength(1);
      expect(rcodeOf(r[0]!), `rcode of ${id}`).toBe(rcode);
      if (rcode === 0) expect(parse(r[0]!).answers[0]!.address).toBe('10.1.1.1');
    }
    const after = await gw.registry.metrics();
    const received = metric(after, 'dns_udp_datagrams_received_total') - metric(before, 'dns_udp_datagrams_received_total');
    const batches = metric(after, 'dns_udp_receive_batches_total') - metric(before, 'dns_udp_receive_batches_total');
    expect(received).toBe(600);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(600);
  });

  it('answers large EDNS queries in full', async () => {
    const msgs = Array.from({ length: 40 }, (_, i) => buildQuery('big.kz', { id: 1000 + i, type: 16, edns: { size: 4096 } }));
    const replies = await burst(gw.dnsPort, msgs, '127.0.0.1', 20);
    expect(replies.size).toBe(40);
    for (const [, r] of replies) {
      expect(r).toHaveLength(1);
      expect(parse(r[0]!).answers.length).toBe(30);
    }
  });

  it('answers a datagram longer than its receive slot with FORMERR from the header', async () => {
    const big = Buffer.concat([buildQuery('allowed.kz', { id: 4242 }), Buffer.alloc(6000)]);
    const r = await udpAsk(gw.dnsPort, big);
    expect(r && rcodeOf(r)).toBe(1);
    expect(r!.readUInt16BE(0)).toBe(4242);
    expect(metric(await gw.registry.metrics(), 'dns_udp_oversized_total')).toBeGreaterThanOrEqual(1);
  });

  it('survives seeded random and damaged datagrams in batches, answering each readable query once', async () => {
    const rnd = seededRandom(20261202);
    const byte = (): number => Math.floor(rnd() * 256);
    const msgs: Buffer[] = [];
    let readable = 0;
    for (let i = 0; i < 1500; i++) {
      let m: Buffer;
      if (i % 3 === 0) {
        m = Buffer.from(Array.from({ length: Math.floor(rnd() * 600) }, byte));
      } else {
        m = buildQuery(i % 2 ? 'allowed.kz' : 'x.evil.kz', { edns: i % 5 ? {} : false });
        for (let k = 0; k < 3; k++) m[2 + Math.floor(rnd() * (m.length - 2))] = byte();
      }
      // IDs 0x8000 and up mark these, so they never meet the other tests' replies.
      if (m.length >= 2) m.writeUInt16BE(0x8000 | i, 0);
      if (m.length >= 12 && !(m[2]! & 0x80)) readable++;
      msgs.push(m);
    }
    const replies = await burst(gw.dnsPort, msgs, '127.0.0.1', 100, (m) => m.length >= 12 && !(m[2]! & 0x80));
    let answered = 0;
    for (const [id, r] of replies) {
      expect(id & 0x8000).toBe(0x8000);
      expect(r).toHaveLength(1);
      expect(r[0]![2]! & 0x80).toBe(0x80);
      answered++;
    }
    expect(answered).toBe(readable);
    expect(rcodeOf((await udpAsk(gw.dnsPort, buildQuery('blocked.kz')))!)).toBe(3);
  });

  it('drops responses and runts without a reply', async () => {
    const resp = buildQuery('blocked.kz', { id: 77 });
    resp[2] = resp[2]! | 0x80;
    expect(await udpAsk(gw.dnsPort, resp, 300)).toBeUndefined();
    expect(await udpAsk(gw.dnsPort, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    expect(rcodeOf((await udpAsk(gw.dnsPort, buildQuery('blocked.kz')))!)).toBe(3);
  });
});

describe('batched UDP over IPv6', () => {
  it('serves ::1', async () => {
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    const gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, GATEWAY_HOST: '::1', GATEWAY_UDP_BATCH: 'on' });
    try {
      expect(gw.udpMode).toBe('batched');
      const replies = await burst(gw.dnsPort, [buildQuery('Blocked.KZ', { id: 9 })], '::1');
      const r = replies.get(9)![0]!;
      expect(rcodeOf(r)).toBe(3);
      expect(parse(r).questions[0]!.name).toBe('Blocked.KZ');
    } finally {
      await gw.close();
    }
  });
});

describe('batched UDP sockets and SO_REUSEPORT', () => {
  const addon = udpBatchBinding('on')!;

  it('sends the answers that do not fit the batch out buffer on their own', async () => {
    // Each answer is 3000 bytes and the out buffer holds one: the rest of a batch overflows.
    const pipeline = (q: Query): Answer => {
      const reply = Buffer.alloc(3000, 0x61);
      q.buf.copy(reply, 0, 0, 2);
      return { kind: 'cached', chunks: [reply.subarray(0, 1000), reply.subarray(1000)] };
    };
    const l = startBatchedUdp(addon, '127.0.0.1', 0, false, pipeline, pino({ level: 'silent' }), { outBytes: addon.SLOT });
    try {
      const msgs = Array.from({ length: 50 }, (_, i) => buildQuery('x.kz', { id: 2000 + i }));
      const replies = await burst(l.port, msgs, '127.0.0.1', 25);
      expect(replies.size).toBe(50);
      for (const [, r] of replies) {
        expect(r).toHaveLength(1);
        expect(r[0]!.length).toBe(3000);
        expect(r[0]!.subarray(2).every((b) => b === 0x61)).toBe(true);
      }
      const [received, sent, errors, , batches] = l.stats();
      expect([received, sent, errors]).toEqual([50, 50, 0]);
      expect(batches).toBeLessThan(50);
    } finally {
      await l.close();
    }
  });
  const open = (port: number, reusePort: boolean, onBatch: (n: number) => number = () => 0) => addon.open(
    '127.0.0.1', port, reusePort,
    Buffer.alloc(addon.BATCH * addon.SLOT), Buffer.alloc(addon.META_INTS * 4),
    Buffer.alloc(addon.BATCH * addon.ADDR_SLOT), Buffer.alloc(addon.BATCH * addon.SLOT), onBatch,
  );

  it('shares a port between sockets that ask for it, and refuses one that does not', async () => {
    let received = 0;
    const a = open(0, true, (n) => { received += n; return 0; });
    const port = addon.port(a);
    const b = open(port, true, (n) => { received += n; return 0; });
    try {
      expect(addon.port(b)).toBe(port);
      expect(() => open(port, false)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
      // Datagrams from many source ports land on one socket or the other, never lost.
      const clients = await Promise.all(Array.from({ length: 16 }, async () => {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        return s;
      }));
      for (const c of clients) c.send(Buffer.alloc(12), port, '127.0.0.1');
      const end = Date.now() + 3000;
      while (received < 16 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      for (const c of clients) c.close();
      expect(received).toBe(16);
      expect(addon.stats(a)[0]! + addon.stats(b)[0]!).toBe(16);
    } finally {
      addon.close(a);
      addon.close(b);
    }
  });

  it('refuses a port taken without SO_REUSEPORT', () => {
    const a = open(0, false);
    try {
      expect(() => open(addon.port(a), false)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    } finally {
      addon.close(a);
    }
  });

  it('a closed socket still reports its counters and refuses to send (EBADF)', async () => {
    const a = open(0, false);
    addon.close(a);
    addon.close(a);
    await new Promise((r) => setTimeout(r, 10)); // the poll handle has closed by now
    expect(addon.stats(a)).toEqual([0, 0, 0, 0, 0]);
    expect(addon.sendTo(a, [Buffer.alloc(12)], Buffer.alloc(16), 16)).toBe(9);
    expect(() => addon.port(a)).toThrow();
  });

  it('rejects wrong arguments with a TypeError instead of crashing', () => {
    expect(() => addon.open('127.0.0.1', 0, false, Buffer.alloc(1), Buffer.alloc(1), Buffer.alloc(1), Buffer.alloc(1), () => 0)).toThrow(TypeError);
    expect(() => addon.open('not an ip', 0, false, Buffer.alloc(addon.BATCH * addon.SLOT), Buffer.alloc(addon.META_INTS * 4), Buffer.alloc(addon.BATCH * addon.ADDR_SLOT), Buffer.alloc(addon.SLOT), () => 0)).toThrow(TypeError);
    expect(() => addon.port({} as never)).toThrow(TypeError);
  });
});

import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UDP_MODE_NAMES, startGateway } from '../helpers/gateway.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, parse, rcodeOf, udpAsk, tcpAsk } from '../helpers/wire.js';
import { Query } from '../../src/dns/pipeline/types.js';
import { parseQuery, PARSE_OK } from '../../src/dns/wire/parse-query.js';
import { scanResponse } from '../../src/dns/wire/scan-response.js';
import { readAddresses } from '../../src/dns/wire/read-addresses.js';

const DATASETS = new URL('../../../../../shared/datasets/', import.meta.url);

function hexColumn(file: string): Buffer[] {
  return readFileSync(new URL(file, DATASETS), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => Buffer.from(l.split('\t').at(-1)!.trim(), 'hex'));
}

const CORPUS = [...hexColumn('dns-messages.tsv'), ...hexColumn('dns-cares-fuzz.tsv')];

function mutations(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < 300; i++) out.push(randomBytes(Math.floor(Math.random() * 600)));
  const q = buildQuery('allowed.kz', { edns: {} });
  for (let n = 0; n <= q.length; n++) out.push(q.subarray(0, n));
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(q);
    for (let k = 0; k < 3; k++) b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
    b[2] = b[2]! & 0x7f; // keep QR clear so the parser, not the drop rule, meets the damage
    out.push(b);
  }
  // Every count at 65535: must not stall the parser.
  const huge = Buffer.from(q);
  huge.fill(0xff, 4, 12);
  out.push(huge);
  return out;
}

// Both UDP paths: the batching addon (recvmmsg/sendmmsg) and plain dgram.
for (const udpBatch of ['on', 'off'] as const) {
  describe(`malformed input (UDP ${UDP_MODE_NAMES[udpBatch]})`, () => {
    let gw: Awaited<ReturnType<typeof startGateway>>; let up: TestUpstream;
    beforeAll(async () => {
      up = await new TestUpstream({ 'allowed.kz': { a: ['10.1.1.1'] } }).start();
      gw = await startGateway({ UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_UDP_BATCH: udpBatch });
    });
    afterAll(async () => { await gw.close(); await up.close(); });

    const stillAnswers = async (): Promise<void> => {
      const r = await udpAsk(gw.dnsPort, buildQuery('allowed.kz'), 3000);
      expect(r && parse(r).answers[0]!.address).toBe('10.1.1.1');
      const t = await tcpAsk(gw.dnsPort, buildQuery('allowed.kz'), 3000);
      expect(t && parse(t).answers[0]!.address).toBe('10.1.1.1');
    };

    it(`survives every dataset message over UDP (${CORPUS.length}) and answers FORMERR/drops by the rules`, async () => {
      const sock = dgram.createSocket('udp4');
      const replies: Buffer[] = [];
      sock.on('message', (m) => replies.push(m));
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      let expectedQueries = 0;
      // One c-ares seed is 200 kB: more than a datagram can carry, so it only goes over TCP.
      for (const m of CORPUS.filter((x) => x.length <= 65_507)) {
        if (m.length >= 12 && !(m[2]! & 0x80)) expectedQueries++;
        sock.send(m, gw.dnsPort, '127.0.0.1');
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 1500));
      sock.close();
      // Responses in the corpus (QR=1) are dropped; every readable query gets exactly one answer.
      expect(replies.length).toBe(expectedQueries);
      for (const r of replies) expect(r[2]! & 0x80).toBeTruthy();
      await stillAnswers();
    });

    it('survives the dataset, random bytes and truncations over TCP', async () => {
      const inputs = [...CORPUS, ...mutations()];
      await new Promise<void>((resolve) => {
        const s = net.connect(gw.dnsPort, '127.0.0.1', () => {
          for (const whole of inputs) {
            const m = whole.subarray(0, 65_535);
            const len = Buffer.alloc(2);
            len.writeUInt16BE(m.length);
            s.write(Buffer.concat([len, m]));
          }
          s.end();
        });
        s.on('data', () => undefined);
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
      // Raw garbage without framing, and a connection that sends half a frame and waits.
      const raw = net.connect(gw.dnsPort, '127.0.0.1', () => raw.end(randomBytes(3000)));
      raw.on('error', () => undefined);
      const half = net.connect(gw.dnsPort, '127.0.0.1', () => half.write(Buffer.from([0x01, 0x00, 0x12])));
      half.on('error', () => undefined);
      await stillAnswers();
      half.destroy();
    });

    it('answers FORMERR where the header is readable, NOTIMP for other opcodes, nothing for responses', async () => {
      const q = buildQuery('allowed.kz');
      const bad = Buffer.concat([q.subarray(0, 12), Buffer.from([0x40, 0x41])]); // label type 0x40
      const f = (await udpAsk(gw.dnsPort, bad))!;
      expect(rcodeOf(f)).toBe(1);
      expect(f.readUInt16BE(0)).toBe(q.readUInt16BE(0));
      const two = Buffer.from(q); two.writeUInt16BE(2, 4);
      expect(rcodeOf((await udpAsk(gw.dnsPort, two))!)).toBe(1);
      const notify = buildQuery('allowed.kz', { opcode: 4 });
      const n = (await udpAsk(gw.dnsPort, notify))!;
      expect(rcodeOf(n)).toBe(4);
      expect((n[2]! >> 3) & 0xf).toBe(4);
      const resp = Buffer.from(q); resp[2] = resp[2]! | 0x80;
      expect(await udpAsk(gw.dnsPort, resp, 400)).toBeUndefined();
      expect(await udpAsk(gw.dnsPort, Buffer.from([1, 2, 3]), 400)).toBeUndefined();
      const axfr = buildQuery('allowed.kz', { type: 252 });
      expect(rcodeOf((await udpAsk(gw.dnsPort, axfr))!)).toBe(5);
      // EDNS version 1: BADVERS (extended rcode 16) in our OPT.
      const v1 = buildQuery('allowed.kz', { edns: {} }); v1[v1.length - 5] = 1; // OPT TTL's version byte
      const bv = parse((await udpAsk(gw.dnsPort, v1))!);
      expect(bv.additionals.find((r) => r.type === 41)?.extendedRcode).toBe(1);
      const metrics = await gw.registry.metrics();
      expect(metrics).toMatch(/result="formerr"\} [1-9]/);
      expect(metrics).toMatch(/result="notimp"\} [1-9]/);
      expect(metrics).toMatch(/result="refused"\} [1-9]/);
    });
  });
}

describe('codec fuzz', () => {
  it('parseQuery, scanResponse and readAddresses never throw and stay in bounds', () => {
    const inputs = [...CORPUS, ...mutations()];
    for (let i = 0; i < 5000; i++) inputs.push(randomBytes(12 + Math.floor(Math.random() * 100)));
    for (const m of inputs) {
      for (const transport of ['udp', 'tcp'] as const) {
        const q = new Query(Buffer.from(m), transport, 512, 0);
        const s = parseQuery(q);
        if (s === PARSE_OK) {
          expect(q.questionEnd).toBeLessThanOrEqual(m.length);
          expect(q.questionEnd).toBeGreaterThanOrEqual(17);
        }
      }
      const question = m.subarray(12, Math.min(m.length, 40));
      expect(() => scanResponse(m, m.length >= 2 ? m.readUInt16BE(0) : 0, question)).not.toThrow();
      expect(() => readAddresses(m)).not.toThrow();
    }
  });

  it('reads every well-formed dataset query the way dns2 does', () => {
    let checked = 0;
    for (const m of CORPUS) {
      const q = new Query(Buffer.from(m), 'udp', 512, 0);
      if (parseQuery(q) !== PARSE_OK) continue;
      let p;
      try { p = parse(m); } catch { continue; }
      expect(p.questions[0]!.type).toBe(q.qtype);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

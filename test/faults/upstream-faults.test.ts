import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@tizilim/shared/seeded-random';
import { encodeQuery } from '../support/udp-dns-query.js';
import { FeedStandIn } from './support/feed-stand-in.js';
import { faultsEnabled, startGatewayProcess, type GatewayProcess } from './support/gateway-process.js';

/**
 * Fault (issue #10): upstream resolvers that black-hole, answer late or answer garbage. Every
 * query must get SERVFAIL within the gateway's total upstream budget (plus scheduling slack),
 * never hang and never crash it, and blocked names keep their instant NXDOMAIN meanwhile.
 */
type Mode = 'black-hole' | 'late' | 'garbage' | 'garbage-with-id' | 'wrong-id';
const ATTEMPT_MS = 300;
const TOTAL_MS = 1000;
const SLACK_MS = 700; // a loaded, shared machine

class BadUpstream {
  mode: Mode = 'black-hole';
  asked = 0;
  #sock: Socket = createSocket('udp4');
  #random = seededRandom(1010);
  async start(): Promise<number> {
    this.#sock.on('message', (msg, from) => {
      this.asked++;
      const reply = (b: Buffer): void => { this.#sock.send(b, from.port, from.address); };
      switch (this.mode) {
        case 'black-hole': return;
        case 'late': {
          const answer = Buffer.from(msg);
          answer[2] = 0x81; answer[3] = 0x80;
          setTimeout(() => reply(answer), TOTAL_MS + 500);
          return;
        }
        case 'garbage': return reply(Buffer.from(Array.from({ length: 1 + Math.floor(this.#random() * 600) }, () => Math.floor(this.#random() * 256))));
        case 'garbage-with-id': {
          // the right id and QR set, then nonsense: counts, names and lengths that lie
          const b = Buffer.from(Array.from({ length: 12 + Math.floor(this.#random() * 300) }, () => Math.floor(this.#random() * 256)));
          msg.copy(b, 0, 0, 2);
          b[2] = (b[2]! | 0x80);
          return reply(b);
        }
        case 'wrong-id': {
          const answer = Buffer.from(msg);
          answer.writeUInt16BE((msg.readUInt16BE(0) + 1) & 0xffff, 0);
          answer[2] = 0x81; answer[3] = 0x80;
          return reply(answer);
        }
      }
    });
    await new Promise<void>((r) => this.#sock.bind(0, '127.0.0.1', r));
    return this.#sock.address().port;
  }
  close(): void { this.#sock.close(); }
}

/** RCODE and how long it took, or undefined RCODE when nothing came back within `waitMs`. */
async function timedQuery(port: number, name: string, waitMs: number): Promise<{ rcode: number | undefined; ms: number }> {
  const id = randomInt(0, 0x10000);
  const sock = createSocket('udp4');
  const started = performance.now();
  try {
    const rcode = await new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      sock.on('message', (m) => {
        if (m.length >= 12 && m.readUInt16BE(0) === id) { clearTimeout(timer); resolve(m[3]! & 0x0f); }
      });
      sock.send(encodeQuery(name, 1, id), port, '127.0.0.1');
    });
    return { rcode, ms: performance.now() - started };
  } finally {
    sock.close();
  }
}

const upstream = new BadUpstream();
const feed = new FeedStandIn();
let gw: GatewayProcess;
beforeAll(async () => {
  if (!faultsEnabled) return;
  const port = await upstream.start();
  await feed.start();
  feed.addMany('blocked', 10);
  gw = await startGatewayProcess({
    REGISTER_URL: feed.url, ISP_TOKEN: feed.token, UPSTREAMS: `127.0.0.1:${port}`,
    UPSTREAM_TIMEOUT_MS: String(ATTEMPT_MS), UPSTREAM_TOTAL_TIMEOUT_MS: String(TOTAL_MS), CACHE_MAX_ENTRIES: '0',
    GATEWAY_DATA_DIR: `/tmp/tizilim-fault-upstream-${process.pid}`,
  });
}, 120_000);
afterAll(async () => {
  await gw?.stop();
  upstream.close();
  await feed.close();
});

describe.skipIf(!faultsEnabled)('upstreams that misbehave', () => {
  for (const mode of ['black-hole', 'late', 'garbage', 'garbage-with-id', 'wrong-id'] as const) {
    it(`${mode}: SERVFAIL within ${TOTAL_MS} ms + slack, for a burst of 100 queries`, async () => {
      upstream.mode = mode;
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => timedQuery(gw.ports.dns, `q${i}.${mode}.example.net`, TOTAL_MS + 3000)));
      const rcodes = new Set(results.map((r) => r.rcode));
      expect([...rcodes]).toEqual([2]);
      const worst = Math.max(...results.map((r) => r.ms));
      expect(worst).toBeLessThan(TOTAL_MS + SLACK_MS);
      // blocked names are answered by the gateway itself, whatever the upstream does
      const blocked = await timedQuery(gw.ports.dns, 'blocked3.fault.example.kz', 1000);
      expect(blocked.rcode).toBe(3);
      expect(blocked.ms).toBeLessThan(300);
    });
  }

  it('is still healthy and counted the upstream errors', async () => {
    expect((await gw.readyz()).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${gw.ports.metrics}/metrics`)).text();
    expect(text).toMatch(/upstream/);
    expect(upstream.asked).toBeGreaterThanOrEqual(500);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache } from '../../src/dns/cache/answer-cache.js';
import { questionKey } from '../../src/dns/cache/question-key.js';
import { Query, type UpstreamResult } from '../../src/dns/pipeline/types.js';
import { parseUpstream } from '../../src/dns/upstream/upstream-address.js';
import { UpstreamPool } from '../../src/dns/upstream/upstream-pool.js';
import { PARSE_OK, parseQuery } from '../../src/dns/wire/parse-query.js';
import { CoarseClock } from '../../src/util/clock.js';
import { Deadlines } from '../../src/util/deadlines.js';
import { startGateway, waitFor } from '../helpers/gateway.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, udpAsk, type QueryOptions } from '../helpers/wire.js';

function query(name: string, opts: QueryOptions = {}): Query {
  const q = new Query(buildQuery(name, opts), 'udp', 512, 0);
  expect(parseQuery(q)).toBe(PARSE_OK);
  return q;
}

/** A query whose name is given as raw label bytes (for bytes that are not ASCII letters). */
function rawQuery(label: number[], qtype = 1): Query {
  const buf = Buffer.concat([
    Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, label.length, ...label, 0]),
    Buffer.from([qtype >> 8, qtype & 255, 0, 1]),
  ]);
  const q = new Query(buf, 'udp', 512, 0);
  expect(parseQuery(q)).toBe(PARSE_OK);
  return q;
}

/** What the upstream stage hands the cache; `wire` as given (the tests choose its memory). */
function result(wire: Buffer, cacheTtl: number): UpstreamResult {
  return { wire, ttlOffsets: new Uint16Array(0), cacheTtl, checkedBy: null, checkedHandle: -1 };
}

const ownsItsMemory = (b: Buffer): boolean => b.byteOffset === 0 && b.buffer.byteLength === b.length;

describe('answer cache keys', () => {
  it('is a string: the name without ASCII case, type, class and the answer-changing flags', () => {
    const k = questionKey(query('WWW.Example.KZ'));
    expect(typeof k).toBe('string');
    expect(k).toBe(questionKey(query('www.example.kz')));
    expect(k).not.toBe(questionKey(query('www.example.kz', { type: 28 })));
    expect(k).not.toBe(questionKey(query('www.example.kz', { edns: {} })));
    expect(questionKey(query('www.example.kz', { edns: {} }))).not.toBe(questionKey(query('www.example.kz', { edns: { do: true } })));
  });

  it('lower-cases only ASCII letters of the name, never other bytes nor the type', () => {
    // 0xC0 and 0xE0 differ by the same bit as 'A' and 'a'; DNS compares them exactly.
    expect(questionKey(rawQuery([0x78, 0xc0]))).not.toBe(questionKey(rawQuery([0x78, 0xe0])));
    // Type 65 (HTTPS) is the byte 'A', type 97 the byte 'a'.
    expect(questionKey(rawQuery([0x78], 65))).not.toBe(questionKey(rawQuery([0x78], 97)));
    expect(questionKey(rawQuery([0x41, 0x42]))).toBe(questionKey(rawQuery([0x61, 0x62])));
  });

  it('serves a stored answer to the same question in any case, with its age', () => {
    const cache = new AnswerCache(100);
    const stored = result(Buffer.from('answer'), 60);
    cache.store(query('Cached.kz'), stored, 1_000);
    const hit = cache.lookup(query('cACHED.KZ'), 3_500);
    expect(hit?.result).toBe(stored);
    expect(hit?.age).toBe(2);
    expect(cache.lookup(query('cached.kz', { type: 28 }), 3_500)).toBeUndefined();
  });
});

describe('answer cache memory', () => {
  it('copies a stored answer that is a slice of Node\'s shared pool into a buffer of its own', () => {
    const pooled = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    // Precondition: Buffer.from of a few bytes is a view of an 8 KiB pool slab.
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const cache = new AnswerCache(10);
    cache.store(query('pool.kz'), result(pooled, 60), 0);
    const kept = cache.lookup(query('pool.kz'), 0)!.result.wire;
    expect(ownsItsMemory(kept)).toBe(true);
    expect(kept.buffer).not.toBe(pooled.buffer);
    expect([...kept]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    pooled.fill(0); // whoever reuses the slab cannot change what is cached
    expect([...kept]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keeps an answer that already owns its memory as it is (no copy per store)', () => {
    const own = Buffer.allocUnsafeSlow(8).fill(7);
    const cache = new AnswerCache(10);
    cache.store(query('own.kz'), result(own, 60), 0);
    expect(cache.lookup(query('own.kz'), 0)!.result.wire).toBe(own);
  });

  describe('with answers from a real upstream over TCP (truncated over UDP)', () => {
    let up: TestUpstream; let clock: CoarseClock; let deadlines: Deadlines;
    beforeAll(async () => {
      up = await new TestUpstream({ 'tcp.kz': { a: ['10.9.9.9'], ttl: 300 } }).start();
      up.mode = 'truncate';
      clock = new CoarseClock(); clock.start(); deadlines = new Deadlines(clock);
    });
    afterAll(async () => { deadlines.close(); clock.stop(); await up.close(); });

    it('stores them outside the pool the TCP reader allocated them from', async () => {
      const pool = new UpstreamPool({ upstreams: [parseUpstream(`127.0.0.1:${up.port}`)], attemptTimeoutMs: 1000, totalTimeoutMs: 2000 }, clock, deadlines);
      const q = query('tcp.kz');
      const res = (await pool.resolve(q))!;
      expect(up.tcpQueries).toBe(1);
      const cache = new AnswerCache(10);
      cache.store(q, res, clock.now);
      const kept = cache.lookup(query('tcp.kz'), clock.now)!.result.wire;
      expect(ownsItsMemory(kept)).toBe(true);
      expect(kept.readUInt16BE(6)).toBe(1); // one answer record, intact
    });
  });
});

describe('answer cache bounds', () => {
  it('drops the oldest insertions when full', () => {
    const cache = new AnswerCache(64);
    for (let i = 0; i < 64; i++) cache.store(query(`n${i}.kz`), result(Buffer.from([i]), 60), 0);
    expect(cache.size).toBe(64);
    cache.store(query('newest.kz'), result(Buffer.from([99]), 60), 0);
    expect(cache.size).toBe(64);
    expect(cache.lookup(query('n0.kz'), 0)).toBeUndefined();
    expect(cache.lookup(query('n1.kz'), 0)).toBeDefined();
    expect(cache.lookup(query('newest.kz'), 0)).toBeDefined();
  });

  it('re-storing a question refreshes it rather than growing the cache', () => {
    const cache = new AnswerCache(10);
    cache.store(query('again.kz'), result(Buffer.from([1]), 1), 0);
    cache.store(query('AGAIN.kz'), result(Buffer.from([2]), 60), 500);
    expect(cache.size).toBe(1);
    expect(cache.lookup(query('again.kz'), 5_000)!.result.wire[0]).toBe(2);
  });

  it('does not keep answers without a TTL', () => {
    const cache = new AnswerCache(10);
    cache.store(query('zero.kz'), result(Buffer.from([1]), 0), 0);
    expect(cache.size).toBe(0);
  });

  it('misses from the moment an entry expires', () => {
    const cache = new AnswerCache(10);
    cache.store(query('short.kz'), result(Buffer.from([1]), 1), 0);
    expect(cache.lookup(query('short.kz'), 999)).toBeDefined();
    expect(cache.lookup(query('short.kz'), 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('sweeps expired entries that nobody asks for again, a bounded number per call', () => {
    const cache = new AnswerCache(1_000);
    for (let i = 0; i < 300; i++) cache.store(query(`once${i}.kz`), result(Buffer.from([1]), 1), 0);
    for (let i = 0; i < 100; i++) cache.store(query(`kept${i}.kz`), result(Buffer.from([1]), 600), 0);
    expect(cache.sweepExpired(500, 10_000)).toBe(0); // nothing has expired yet
    let calls = 0;
    let dropped = 0;
    while (cache.size > 100 && calls < 1_000) {
      const d = cache.sweepExpired(2_000, 16);
      expect(d).toBeLessThanOrEqual(16);
      dropped += d;
      calls++;
    }
    expect(dropped).toBe(300);
    expect(calls).toBeGreaterThanOrEqual(300 / 16);
    expect(cache.lookup(query('kept42.kz'), 2_000)).toBeDefined();
    // Entries stored while a sweep is under way are seen by it too.
    cache.store(query('late.kz'), result(Buffer.from([1]), 1), 2_000);
    for (let i = 0; i < 20; i++) cache.sweepExpired(4_000, 16);
    expect(cache.lookup(query('late.kz'), 2_500)).toBeUndefined();
    expect(cache.size).toBe(100);
  });
});

describe('answer cache in a running gateway', () => {
  let up: TestUpstream; let gw: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    up = await new TestUpstream({ 'brief.kz': { a: ['10.2.2.2'], ttl: 1 }, 'long.kz': { a: ['10.2.2.3'], ttl: 300 } }).start();
    gw = await startGateway({ UPSTREAMS: `127.0.0.1:${up.port}` });
  });
  afterAll(async () => { await gw.close(); await up.close(); });

  const entries = async (): Promise<number> => (await gw.registry.getSingleMetric('dns_cache_entries')!.get()).values[0]!.value;

  it('forgets expired answers on its own, without being asked again', async () => {
    for (const name of ['brief.kz', 'long.kz']) expect(await udpAsk(gw.dnsPort, buildQuery(name))).toBeDefined();
    expect(await entries()).toBe(2);
    await waitFor(async () => (await entries()) === 1, 4_000, 50);
  });

  it('reports the bytes held by array buffers beside the heap', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    const m = /^nodejs_array_buffers_bytes (\d+)$/m.exec(text);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
  });
});

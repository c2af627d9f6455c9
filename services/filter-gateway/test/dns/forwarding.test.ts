import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { TestUpstream, deadPort } from '../helpers/upstream-server.js';
import { buildQuery, flagsOf, parse, rcodeOf, tcpAsk, udpAsk } from '../helpers/wire.js';

type Gw = Awaited<ReturnType<typeof startGateway>>;

const ZONE = {
  'allowed.kz': { a: ['10.1.1.1'], ttl: 300 },
  'cached.kz': { a: ['10.1.1.2'], ttl: 100 },
  'dedup.kz': { a: ['10.1.1.3'] },
  'big.kz': { txtCount: 20 },
  'mid.kz': { txtCount: 6 },
  'short.kz': { a: ['10.1.1.4'], ttl: 1 },
};

describe('allowed names', () => {
  let gw: Gw; let up: TestUpstream;
  beforeAll(async () => {
    up = await new TestUpstream(ZONE).start();
    // Plain-HTTP DoH (DOH_PLAIN=1) so fetch can speak it; DoH over TLS is in encrypted-dns.test.ts.
    gw = await startGateway({ UPSTREAMS: `127.0.0.1:${up.port}`, DOH_PLAIN: '1' });
  });
  afterAll(async () => { await gw.close(); await up.close(); });
  afterEach(() => { up.mode = 'normal'; });

  it('forwards and answers with the client ID and question case', async () => {
    const r = (await udpAsk(gw.dnsPort, buildQuery('AlLoWeD.kz', { id: 777 })))!;
    expect(r.readUInt16BE(0)).toBe(777);
    const p = parse(r);
    expect(p.header.rcode).toBe(0);
    expect(p.questions[0]!.name).toBe('AlLoWeD.kz');
    expect(p.answers[0]).toMatchObject({ address: '10.1.1.1', ttl: 300 });
  });

  it('answers the second query from the cache, with the new ID and aged TTLs', async () => {
    const first = parse((await udpAsk(gw.dnsPort, buildQuery('cached.kz', { id: 1 })))!);
    expect(first.answers[0]!.ttl).toBe(100);
    const before = up.total;
    await new Promise((r) => setTimeout(r, 1100));
    const r = (await udpAsk(gw.dnsPort, buildQuery('CACHED.kz', { id: 2 })))!;
    expect(up.total).toBe(before);
    expect(r.readUInt16BE(0)).toBe(2);
    const p = parse(r);
    expect(p.questions[0]!.name).toBe('CACHED.kz');
    expect(p.answers[0]!.address).toBe('10.1.1.2');
    expect(p.answers[0]!.ttl).toBeLessThanOrEqual(99);
    expect(p.answers[0]!.ttl).toBeGreaterThanOrEqual(97);
    const metrics = await gw.registry.metrics();
    expect(metrics).toMatch(/dns_queries_total\{transport="udp",result="cached"\} [1-9]/);
    expect(metrics).toMatch(/dns_cache_entries [1-9]/);
  });

  it('caches negative answers (RFC 2308) for the SOA minimum', async () => {
    const q = (): Buffer => buildQuery('nothing-here.kz');
    expect(rcodeOf((await udpAsk(gw.dnsPort, q()))!)).toBe(3);
    const before = up.total;
    const r = (await udpAsk(gw.dnsPort, q()))!;
    expect(rcodeOf(r)).toBe(3);
    expect(up.total).toBe(before);
    expect(parse(r).authorities[0]!.type).toBe(6);
  });

  it('expires entries when their TTL runs out', async () => {
    await udpAsk(gw.dnsPort, buildQuery('short.kz'));
    const before = up.total;
    await new Promise((r) => setTimeout(r, 1100));
    await udpAsk(gw.dnsPort, buildQuery('short.kz'));
    expect(up.total).toBe(before + 1);
  });

  it('sends identical concurrent questions upstream once', async () => {
    up.mode = 'slow';
    up.slowMs = 150;
    const before = up.total;
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => udpAsk(gw.dnsPort, buildQuery('dedup.kz', { id: 1000 + i }))));
    expect(up.total - before).toBe(1);
    replies.forEach((r, i) => {
      expect(r!.readUInt16BE(0)).toBe(1000 + i);
      expect(parse(r!).answers[0]!.address).toBe('10.1.1.3');
    });
  });

  it('retries over TCP when the upstream truncates, and sets TC when the answer does not fit the client', async () => {
    up.mode = 'truncate';
    const tcpBefore = up.tcpQueries;
    const r = (await udpAsk(gw.dnsPort, buildQuery('big.kz', { type: 16 })))!;
    expect(up.tcpQueries).toBe(tcpBefore + 1);
    // 20 TXT records are far over 512 bytes: the client gets TC and retries on TCP.
    expect(flagsOf(r) & 0x0200).toBeTruthy();
    expect(r.readUInt16BE(6)).toBe(0);
    const full = parse((await tcpAsk(gw.dnsPort, buildQuery('big.kz', { type: 16 })))!);
    expect(full.answers).toHaveLength(20);
    expect(full.header.tc).toBe(0);
  });

  it('honours the EDNS buffer size', async () => {
    // About 800 bytes: over 512, under 1232.
    const plain = (await udpAsk(gw.dnsPort, buildQuery('mid.kz', { type: 16 })))!;
    expect(plain.length).toBeLessThanOrEqual(512);
    expect(flagsOf(plain) & 0x0200).toBeTruthy();
    const edns = (await udpAsk(gw.dnsPort, buildQuery('mid.kz', { type: 16, edns: { size: 1232 } })))!;
    expect(flagsOf(edns) & 0x0200).toBe(0);
    expect(parse(edns).answers).toHaveLength(6);
    const small = (await udpAsk(gw.dnsPort, buildQuery('mid.kz', { type: 16, edns: { size: 600 } })))!;
    expect(small.length).toBeLessThanOrEqual(600);
    expect(flagsOf(small) & 0x0200).toBeTruthy();
    // An OPT is still there, so the client knows we speak EDNS.
    expect(small.readUInt16BE(10)).toBe(1);
  });

  it('answers DoH GET and POST', async () => {
    const q = buildQuery('allowed.kz', { id: 0 });
    const get = await fetch(`http://127.0.0.1:${gw.dohPort}/dns-query?dns=${q.toString('base64url')}`, { headers: { accept: 'application/dns-message' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/dns-message');
    expect(parse(Buffer.from(await get.arrayBuffer())).answers[0]!.address).toBe('10.1.1.1');
    const post = await fetch(`http://127.0.0.1:${gw.dohPort}/dns-query`, {
      method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: buildQuery('big.kz', { type: 16 }),
    });
    expect(post.status).toBe(200);
    // No UDP size limit over HTTP.
    expect(parse(Buffer.from(await post.arrayBuffer())).answers).toHaveLength(20);
    const bad = await fetch(`http://127.0.0.1:${gw.dohPort}/dns-query?dns=!!`);
    expect(bad.status).toBe(400);
    const missing = await fetch(`http://127.0.0.1:${gw.dohPort}/other`);
    expect(missing.status).toBe(404);
    const metrics = await gw.registry.metrics();
    expect(metrics).toMatch(/dns_queries_total\{transport="doh",result="(cached|forwarded)"\} [1-9]/);
  });
});

describe('upstream failures', () => {
  it('fails over to the second upstream', async () => {
    const dead = await new TestUpstream(ZONE).start();
    dead.mode = 'silent';
    const good = await new TestUpstream(ZONE).start();
    const gw = await startGateway({ UPSTREAMS: `127.0.0.1:${dead.port},127.0.0.1:${good.port}` });
    try {
      const r = (await udpAsk(gw.dnsPort, buildQuery('allowed.kz')))!;
      expect(parse(r).answers[0]!.address).toBe('10.1.1.1');
      expect(dead.total).toBe(1);
      expect(good.total).toBe(1);
      // The one that answered is asked first from now on.
      await udpAsk(gw.dnsPort, buildQuery('dedup.kz'));
      expect(dead.total).toBe(1);
      expect(await gw.registry.metrics()).toMatch(/dns_upstream_errors_total\{upstream="127.0.0.1:\d+",reason="timeout"\} 1/);
    } finally { await gw.close(); await dead.close(); await good.close(); }
  });

  it('answers SERVFAIL within the bound when every upstream is dead', async () => {
    const silent = await new TestUpstream(ZONE).start();
    silent.mode = 'silent';
    const gw = await startGateway({
      UPSTREAMS: `127.0.0.1:${silent.port},127.0.0.1:${await deadPort()}`,
      UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_TOTAL_TIMEOUT_MS: '800',
    });
    try {
      const t0 = Date.now();
      const r = (await udpAsk(gw.dnsPort, buildQuery('allowed.kz', { edns: {} }), 3000))!;
      const took = Date.now() - t0;
      expect(rcodeOf(r)).toBe(2);
      expect(took).toBeLessThan(1000);
      expect(parse(r).questions[0]!.name).toBe('allowed.kz');
      // SERVFAIL is not cached: a recovered upstream is asked again.
      silent.mode = 'normal';
      const again = (await udpAsk(gw.dnsPort, buildQuery('allowed.kz'), 3000))!;
      expect(rcodeOf(again)).toBe(0);
    } finally { await gw.close(); await silent.close(); }
  });
});

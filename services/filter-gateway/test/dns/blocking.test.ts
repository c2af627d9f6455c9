import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempDir } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, edeOf, flagsOf, parse, rcodeOf, tcpAsk, udpAsk } from '../helpers/wire.js';

type Gw = Awaited<ReturnType<typeof startGateway>>;

async function gatewayWith(env: Record<string, string> = {}): Promise<{ gw: Gw; up: TestUpstream }> {
  const up = await new TestUpstream({ 'allowed.kz': { a: ['10.1.1.1'] }, 'lapsed.kz': { a: ['10.2.2.2'] } }).start();
  const dataDir = await tempDir();
  await seedSnapshot(dataDir);
  const gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, PUBLIC_BASE_URL: 'https://register.example', ...env });
  return { gw, up };
}

describe('blocked names, nxdomain mode', () => {
  let gw: Gw; let up: TestUpstream;
  beforeAll(async () => ({ gw, up } = await gatewayWith()));
  afterAll(async () => { await gw.close(); await up.close(); });

  it('answers NXDOMAIN with the question as asked, an SOA and EDE 16 naming the entry', async () => {
    const q = buildQuery('BlOcKeD.Kz', { id: 4242, edns: { size: 1232 } });
    const r = (await udpAsk(gw.dnsPort, q))!;
    expect(r.readUInt16BE(0)).toBe(4242);
    expect(rcodeOf(r)).toBe(3);
    expect(flagsOf(r) & 0x8000).toBeTruthy();
    // The question is echoed byte for byte, case included.
    expect(r.subarray(12, 12 + 16).equals(q.subarray(12, 12 + 16))).toBe(true);
    const p = parse(r);
    expect(p.questions[0]!.name).toBe('BlOcKeD.Kz');
    expect(p.answers).toHaveLength(0);
    expect(p.authorities).toHaveLength(1);
    const soa = p.authorities[0]!;
    expect(soa.type).toBe(6);
    expect(soa.ttl).toBe(60);
    expect(soa.minimum).toBe(60);
    expect(edeOf(p)).toEqual({
      ednsCode: 15, infoCode: 16,
      extraText: 'Tizilim register entry 101: https://register.example/public/v1/log/101',
    });
    expect(up.total).toBe(0);
  });

  it('blocks a suffix rule on the name and names under it', async () => {
    for (const name of ['evil.kz', 'a.b.EVIL.kz']) {
      const r = (await udpAsk(gw.dnsPort, buildQuery(name, { edns: {} })))!;
      expect(rcodeOf(r)).toBe(3);
      expect(edeOf(parse(r))?.extraText).toContain('entry 102');
    }
    expect(rcodeOf((await udpAsk(gw.dnsPort, buildQuery('notevil.kz')))!)).toBe(3 /* upstream NXDOMAIN */);
    expect(up.asked).toContain('notevil.kz');
  });

  it('blocks IDN names by their A-label, in any case', async () => {
    const r = (await udpAsk(gw.dnsPort, buildQuery('XN--80AA0CBO65F.kz', { edns: {} })))!;
    expect(rcodeOf(r)).toBe(3);
    expect(edeOf(parse(r))?.extraText).toContain('entry 103');
  });

  it('sends no OPT when the query had none', async () => {
    const r = (await udpAsk(gw.dnsPort, buildQuery('blocked.kz')))!;
    expect(rcodeOf(r)).toBe(3);
    expect(r.readUInt16BE(10)).toBe(0);
    expect(parse(r).additionals).toHaveLength(0);
  });

  it('copies the DO bit into the OPT of a blocked answer', async () => {
    const r = (await udpAsk(gw.dnsPort, buildQuery('blocked.kz', { edns: { do: true } })))!;
    const opt = parse(r).additionals.find((x) => x.type === 41)!;
    expect(opt.doFlag).toBe(true);
  });

  it('honours suspensions: blocks before `until`, forwards after it', async () => {
    expect(rcodeOf((await udpAsk(gw.dnsPort, buildQuery('paused.kz')))!)).toBe(3);
    const r = (await udpAsk(gw.dnsPort, buildQuery('lapsed.kz')))!;
    expect(rcodeOf(r)).toBe(0);
    expect(parse(r).answers[0]?.address).toBe('10.2.2.2');
  });

  it('blocks over TCP too', async () => {
    const r = (await tcpAsk(gw.dnsPort, buildQuery('www.evil.kz', { edns: {} })))!;
    expect(rcodeOf(r)).toBe(3);
    expect(edeOf(parse(r))?.infoCode).toBe(16);
  });

  it('resolveAddresses goes through the same pipeline', async () => {
    expect(await gw.resolveAddresses('allowed.kz')).toEqual(['10.1.1.1']);
    expect(await gw.resolveAddresses('blocked.kz')).toEqual([]);
  });
});

describe('nodata and sinkhole modes', () => {
  it('nodata: NOERROR, no answers, SOA', async () => {
    const { gw, up } = await gatewayWith({ BLOCK_MODE: 'nodata' });
    try {
      const r = (await udpAsk(gw.dnsPort, buildQuery('blocked.kz', { edns: {} })))!;
      expect(rcodeOf(r)).toBe(0);
      const p = parse(r);
      expect(p.answers).toHaveLength(0);
      expect(p.authorities[0]?.type).toBe(6);
      expect(edeOf(p)?.infoCode).toBe(16);
    } finally { await gw.close(); await up.close(); }
  });

  it('sinkhole: A and AAAA of the block page, NODATA for other types', async () => {
    const { gw, up } = await gatewayWith({ BLOCK_MODE: 'sinkhole', SINKHOLE_IPV4: '127.0.0.9', SINKHOLE_IPV6: '::9' });
    try {
      const a = parse((await udpAsk(gw.dnsPort, buildQuery('Blocked.kz', { type: 1, edns: {} })))!);
      expect(a.header.rcode).toBe(0);
      expect(a.answers[0]).toMatchObject({ type: 1, address: '127.0.0.9', ttl: 60, name: 'Blocked.kz' });
      expect(edeOf(a)?.infoCode).toBe(16);
      const aaaa = parse((await udpAsk(gw.dnsPort, buildQuery('x.evil.kz', { type: 28 })))!);
      expect(aaaa.answers[0]?.type).toBe(28);
      expect(aaaa.answers[0]?.address).toMatch(/^(::9|0:0:0:0:0:0:0:9)$/);
      const mx = parse((await udpAsk(gw.dnsPort, buildQuery('blocked.kz', { type: 15 })))!);
      expect(mx.header.rcode).toBe(0);
      expect(mx.answers).toHaveLength(0);
      expect(mx.authorities[0]?.type).toBe(6);
      expect(await gw.resolveAddresses('blocked.kz')).toEqual(['127.0.0.9', '::9']);
    } finally { await gw.close(); await up.close(); }
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FeedRule } from '@tizilim/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UDP_MODE_NAMES, startGateway, tempDir } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, edeOf, parse, rcodeOf, tcpAsk, udpAsk } from '../helpers/wire.js';

const run = promisify(execFile);
const tool = async (cmd: string, args: string[]): Promise<string> => (await run(cmd, args, { timeout: 10_000 })).stdout;

const IP_RULES: FeedRule[] = [
  { id: 'i1', kind: 'ip', value: '192.0.2.7', mode: 'restrict', entry: 301 },
  { id: 'i2', kind: 'cidr', value: '198.51.100.0/24', mode: 'restrict', entry: 302 },
  { id: 'i3', kind: 'cidr', value: '2001:db8:42::/48', mode: 'restrict', entry: 303 },
  { id: 'i4', kind: 'ip', value: '2001:db8:99::1', mode: 'restrict', entry: 304 },
  { id: 'i5', kind: 'domain_suffix', value: 'restricted-cdn.kz', mode: 'restrict', entry: 305 },
  { id: 'i6', kind: 'cidr', value: '203.0.113.0/24', mode: 'suspend', until: '2001-01-01T00:00:00Z', entry: 306 },
];

const ZONE = {
  'v4host.test': { a: ['192.0.2.7'] },
  'v4net.test': { a: ['10.9.9.9', '198.51.100.200'] },
  'v6.test': { aaaa: ['2001:db8:42::1'] },
  'v6host.test': { aaaa: ['2001:db8:99::1'] },
  'v6near.test': { aaaa: ['2001:db8:43::1'] },
  'fine.test': { a: ['192.0.2.8'], aaaa: ['2001:db8:43::2'] },
  'lapsed.test': { a: ['203.0.113.5'] },
  'alias.test': { cname: 'www.restricted-cdn.kz' },
  'www.restricted-cdn.kz': { a: ['10.7.7.7'] },
  'later.test': { a: ['100.64.1.1'] },
  'later6.test': { aaaa: ['2001:db8:77::5'] },
};

for (const udpBatch of ['on', 'off'] as const) {
  describe(`IP and CIDR rules in answers (UDP ${UDP_MODE_NAMES[udpBatch]})`, () => {
    let gw: Awaited<ReturnType<typeof startGateway>>; let up: TestUpstream;
    beforeAll(async () => {
      up = await new TestUpstream(ZONE).start();
      const dataDir = await tempDir();
      await seedSnapshot(dataDir, IP_RULES);
      gw = await startGateway({
        GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_UDP_BATCH: udpBatch,
        PUBLIC_BASE_URL: 'https://register.example',
      });
    });
    afterAll(async () => { await gw.close(); await up.close(); });
    const at = (): string[] => ['@127.0.0.1', '-p', String(gw.dnsPort), '+tries=1', '+time=3'];

    for (const [name, type, entry] of [
      ['v4host.test', 'A', 301], ['v4net.test', 'A', 302], ['v6.test', 'AAAA', 303], ['v6host.test', 'AAAA', 304],
    ] as const) {
      it(`dig ${name} ${type}: blocked from upstream and again from the cache, EDE 16 names entry ${entry}`, async () => {
        for (const round of ['upstream', 'cache']) {
          const out = await tool('dig', [...at(), name, type]);
          expect(out, round).toContain('status: NXDOMAIN');
          expect(out, round).toMatch(/EDE: 16 \(Censored\)/);
          expect(out, round).toContain(`Tizilim register entry ${entry}: https://register.example/public/v1/log/${entry}`);
          expect(out, round).toContain('ANSWER: 0,');
        }
        expect(up.asked.filter((n) => n === name)).toHaveLength(1);
      });
    }

    it('kdig over TCP sees the same block (with +edns for the EDE)', async () => {
      const out = await tool('kdig', [...at().slice(0, 3), '+tcp', '+edns', 'v6.test', 'AAAA']);
      expect(out).toContain('NXDOMAIN');
      expect(out).toContain('Tizilim register entry 303');
    });

    it('lets through addresses next to the rules and lapsed suspensions', async () => {
      const a = await tool('dig', [...at(), '+short', 'fine.test', 'A']);
      expect(a.trim()).toBe('192.0.2.8');
      const aaaa = await tool('dig', [...at(), '+short', 'v6near.test', 'AAAA']);
      expect(aaaa.trim()).toBe('2001:db8:43::1');
      expect((await tool('dig', [...at(), '+short', 'lapsed.test', 'A'])).trim()).toBe('203.0.113.5');
    });

    it('blocks a CNAME chain through a restricted name, naming that rule', async () => {
      const r = parse((await udpAsk(gw.dnsPort, buildQuery('alias.test', { edns: {} })))!);
      expect(r.header.rcode).toBe(3);
      expect(edeOf(r)?.extraText).toContain('entry 305');
      const out = await tool('dig', [...at(), 'alias.test', 'A']);
      expect(out).toContain('status: NXDOMAIN');
      expect(out).toContain('Tizilim register entry 305');
    });

    it('a rule added after an answer was cached blocks the cached answer at once', async () => {
      expect((await tool('dig', [...at(), '+short', 'later.test', 'A'])).trim()).toBe('100.64.1.1');
      expect((await tool('dig', [...at(), '+short', 'later6.test', 'AAAA'])).trim()).toBe('2001:db8:77::5');
      const asked = up.total;
      gw.rules.apply([
        { seq: 1000, op: 'add', id: 'n1', kind: 'cidr', value: '100.64.0.0/10', mode: 'restrict', entry: 401 },
        { seq: 1001, op: 'add', id: 'n2', kind: 'cidr', value: '2001:db8:77::/64', mode: 'restrict', entry: 402 },
      ], 1001);
      const v4 = await tool('dig', [...at(), 'later.test', 'A']);
      expect(v4).toContain('status: NXDOMAIN');
      expect(v4).toContain('Tizilim register entry 401');
      const v6 = parse((await tcpAsk(gw.dnsPort, buildQuery('later6.test', { type: 28, edns: {} })))!);
      expect(v6.header.rcode).toBe(3);
      expect(edeOf(v6)?.extraText).toContain('entry 402');
      expect(up.total).toBe(asked); // served from the cache, judged anew
      gw.rules.apply([
        { seq: 1002, op: 'remove', id: 'n1', kind: 'cidr', value: '100.64.0.0/10', mode: 'restrict', entry: 401 },
      ], 1002);
      expect((await tool('dig', [...at(), '+short', 'later.test', 'A'])).trim()).toBe('100.64.1.1');
    });

    it('resolveAddresses (SNI, QUIC, block page) gets upstream\'s addresses, which those callers judge one by one', async () => {
      // Both addresses come back: the SNI checker and block page refuse a name only when every
      // address it has is restricted, and name the IP rule's entry when they do (test/rule-kinds).
      expect(await gw.resolveAddresses('v4net.test')).toEqual(['10.9.9.9', '198.51.100.200']);
      // A CNAME through a restricted name is blocked for them as for every client.
      expect(await gw.resolveAddresses('alias.test')).toEqual([]);
      expect(await gw.resolveAddresses('fine.test')).toEqual(['192.0.2.8', '2001:db8:43::2']);
    });
  });
}

describe('IP rules with BLOCK_MODE=sinkhole', () => {
  it('answers the sinkhole address instead of the restricted one', async () => {
    const up = await new TestUpstream(ZONE).start();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir, IP_RULES);
    const gw = await startGateway({
      GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, BLOCK_MODE: 'sinkhole', SINKHOLE_IPV4: '127.0.0.9', SINKHOLE_IPV6: '::9',
    });
    try {
      const r = parse((await udpAsk(gw.dnsPort, buildQuery('v4net.test', { edns: {} })))!);
      expect(rcodeOf(r.toBuffer())).toBe(0);
      expect(r.answers).toHaveLength(1);
      expect(r.answers[0]).toMatchObject({ type: 1, address: '127.0.0.9' });
      expect(edeOf(r)?.extraText).toContain('entry 302');
    } finally { await gw.close(); await up.close(); }
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RPZ_ZONE, RpzSubscription } from './support/rpz-subscription.js';
import { testRegisterHandle } from './support/rpz-test-register.js';

/**
 * One source of truth (issue #15): the register's HTTP export `/v1/feed/rpz` and the zone the
 * gateway transfers (AXFR, read with dig) hold the same records, record for record, for the
 * same decisions made through the register's API. The rules are chosen where the two could
 * drift: cover wildcards under suffixes, exceptions, a suffix whose apex has its own rule, an
 * IP beside its /32 (and an IPv6 address beside its /128), plain CIDRs and a URL.
 */
const run = promisify(execFile);

/** `owner target` lines of a master file or a dig answer, relative to the zone, CNAMEs only. */
function exportRecords(text: string): string[] {
  return text.split('\n').filter((l) => l && !/^[;$@]/.test(l)).map((l) => l.replace(/\s+CNAME\s+/, ' ').trim());
}

async function axfrRecords(port: number): Promise<{ serial: number; records: string[] }> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=10', RPZ_ZONE, 'AXFR']);
  const lines = stdout.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.split(/\s+/));
  const soa = lines.find((f) => f[3] === 'SOA');
  const records = lines.filter((f) => f[3] === 'CNAME').map((f) => `${f[0]!.slice(0, -(RPZ_ZONE.length + 1))} ${f[4]}`);
  return { serial: Number(soa?.[6] ?? -1), records };
}

describe('the HTTP RPZ export and the zone the gateway transfers agree', () => {
  const sub = new RpzSubscription();

  beforeAll(async () => {
    await sub.start({ register: await testRegisterHandle(), notifyPorts: [], initial: ['*.agree.kz', 'plain.agree-other.kz'] });
  }, 120_000); // a register and a gateway process start: slow when the machine is shared
  afterAll(() => sub.close(), 30_000);

  async function agreeNow(): Promise<string[]> {
    const feed = await fetch(`${sub.reg.url}/v1/feed/rpz`, { headers: { authorization: `Bearer ${sub.reg.tokens.isp}` } });
    expect(feed.status).toBe(200);
    const text = await feed.text();
    const serial = Number(/IN SOA \S+ \S+ (\d+) /.exec(text)?.[1]);
    // The gateway follows the register by long-poll: wait until it serves the same serial.
    let axfr = await axfrRecords(sub.xfrPort);
    for (let i = 0; i < 100 && axfr.serial !== serial; i++) {
      await new Promise((r) => setTimeout(r, 100));
      axfr = await axfrRecords(sub.xfrPort);
    }
    expect(axfr.serial).toBe(serial);
    const http = exportRecords(text);
    // One CNAME per owner on both sides (RFC 1034 §3.6.2), and the same set.
    expect(new Set(http.map((r) => r.split(' ')[0])).size).toBe(http.length);
    expect(new Set(axfr.records.map((r) => r.split(' ')[0])).size).toBe(axfr.records.length);
    expect([...axfr.records].sort()).toEqual([...http].sort());
    return http;
  }

  it('suffixes, names and exceptions under them, a suffix whose apex has its own rule', async () => {
    await sub.decide('restrict', ['*.deep.c.agree.kz', 'a.b.c.agree.kz', '*.apex.kz', 'plain.kz']);
    await sub.decide('restore', ['www.agree.kz', 'd.b.c.agree.kz', 'n.deep.c.agree.kz', 'apex.kz']);
    const records = await agreeNow();
    expect(records).toEqual(expect.arrayContaining([
      'www.agree.kz rpz-passthru.', '*.www.agree.kz .', '*.c.agree.kz .', '*.b.c.agree.kz .',
      'apex.kz rpz-passthru.', '*.apex.kz .',
    ]));
  }, 60_000);

  it('an IP rule beside its /32, an IPv6 address beside its /128, a plain CIDR and a URL', async () => {
    await sub.decide('restrict', ['198.51.100.7/32', '2001:db8::7/128', '203.0.113.0/24', 'https://paths.agree.kz/p']);
    await sub.decide('restrict', ['198.51.100.7', '2001:db8::7']);
    const records = await agreeNow();
    expect(records.filter((r) => r.startsWith('32.7.100.51.198.rpz-ip'))).toHaveLength(1);
    expect(records.filter((r) => r.startsWith('128.7.zz.db8.2001.rpz-ip'))).toHaveLength(1);
    expect(records).toContain('24.0.113.0.203.rpz-ip .');
    expect(records.some((r) => r.includes('paths'))).toBe(false);
  }, 60_000);
});

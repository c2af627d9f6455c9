import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestFeed } from '../helpers/feed-server.js';
import { startGateway, waitFor } from '../helpers/gateway.js';

/**
 * The gateway as an RPZ primary, driven by the Debian `dig` (BIND 9.18's client): AXFR
 * (RFC 5936), IXFR (RFC 1995) from the journal, SOA over UDP on the same port, and TSIG
 * (RFC 8945, hmac-sha256) for signed transfers from outside RPZ_XFR_ALLOW.
 */
const run = promisify(execFile);
const KEY = 'xfr-key';
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const WRONG = Buffer.from('fedcba9876543210fedcba9876543210').toString('base64');

async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return stdout;
}

function records(out: string): string[] {
  // TSIG records (one per signed message) are the transport's, not the zone's.
  return out.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.replace(/\s+/g, ' ').trim()).filter((l) => !/ ANY TSIG /.test(l));
}

describe('RPZ primary answers dig: AXFR, IXFR, SOA over UDP, TSIG', () => {
  const feed = new TestFeed();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let open: Awaited<ReturnType<typeof startGateway>>;
  let port = 0;

  beforeAll(async () => {
    await feed.start();
    feed.add({ kind: 'domain', value: 'blocked.kz' });
    feed.add({ kind: 'domain_suffix', value: 'evil.kz' });
    feed.add({ kind: 'cidr', value: '198.51.100.0/24' });
    feed.add({ kind: 'domain', value: 'ok.evil.kz', mode: 'allow' });
    feed.add({ kind: 'url', value: 'https://paths.kz/p' });
    // Only ::1 may transfer unsigned: from 127.0.0.1 dig must sign.
    gw = await startGateway({ REGISTER_URL: feed.url, RPZ_TSIG_KEYS: `${KEY}:${SECRET}`, RPZ_XFR_ALLOW: '::1/128', SYNC_WAIT_SECONDS: '1' });
    open = await startGateway({ REGISTER_URL: feed.url, SYNC_WAIT_SECONDS: '1' });
    port = gw.rpz!.port;
    await waitFor(() => gw.sync.version === feed.version && open.sync.version === feed.version, 5000);
  });

  afterAll(async () => {
    await gw?.close();
    await open?.close();
    await feed.close().catch(() => undefined);
  });

  it('AXFR signed with the right key: SOA (serial = version), NS, every record, SOA', async () => {
    const out = await dig(port, '-y', `hmac-sha256:${KEY}:${SECRET}`, 'rpz.tizilim.', 'AXFR');
    const rr = records(out);
    expect(rr[0]).toMatch(new RegExp(`^rpz\\.tizilim\\. 60 IN SOA localhost\\. hostmaster\\.tizilim\\.invalid\\. ${feed.version} `));
    expect(rr.at(-1)).toBe(rr[0]);
    expect(rr).toContain('blocked.kz.rpz.tizilim. 60 IN CNAME .');
    expect(rr).toContain('evil.kz.rpz.tizilim. 60 IN CNAME .');
    expect(rr).toContain('*.evil.kz.rpz.tizilim. 60 IN CNAME .');
    expect(rr).toContain('24.0.100.51.198.rpz-ip.rpz.tizilim. 60 IN CNAME .');
    expect(rr).toContain('ok.evil.kz.rpz.tizilim. 60 IN CNAME rpz-passthru.');
    // The exception opens ok.evil.kz only: the suffix still holds below it (rpz-cover.ts).
    expect(rr).toContain('*.ok.evil.kz.rpz.tizilim. 60 IN CNAME .');
    expect(rr.filter((l) => l.includes('paths.kz'))).toEqual([]);
    expect(out).not.toMatch(/tsig verify failure|Transfer failed/i);
    // Each message of the transfer carried a TSIG that dig verified.
    expect(out).toMatch(/\s0\s+ANY\s+TSIG\s+hmac-sha256\./);
  });

  it('kdig (Knot) verifies the TSIG of every message of a signed AXFR too', async () => {
    const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(port), '-y', `hmac-sha256:${KEY}:${SECRET}`, 'rpz.tizilim.', 'AXFR'])
      .catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` }));
    expect(stdout).toMatch(/evil\.kz\.rpz\.tizilim\.\s+60\s+IN\s+CNAME\s+\./);
    expect(stdout).toMatch(/;; Received \d+ B \(1 messages, 9 records\)/);
    expect(stdout).toMatch(/ANY\s+TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/);
    expect(stdout).not.toMatch(/BADSIG|BADKEY|failed/);
  });

  it('refuses an unsigned AXFR from outside RPZ_XFR_ALLOW, and one signed with a wrong secret', async () => {
    expect(await dig(port, 'rpz.tizilim.', 'AXFR')).toMatch(/Transfer failed/);
    const wrong = await dig(port, '-y', `hmac-sha256:${KEY}:${WRONG}`, 'rpz.tizilim.', 'AXFR');
    expect(wrong).not.toMatch(/CNAME/);
    expect(wrong).toMatch(/BADSIG|NOTAUTH|tsig|failed/i);
    const unknown = await dig(port, '-y', `hmac-sha256:other-key:${SECRET}`, 'rpz.tizilim.', 'AXFR');
    expect(unknown).not.toMatch(/CNAME/);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/rpz_xfr_refused_total\{reason="acl"\} [1-9]/);
    expect(metrics).toMatch(/rpz_xfr_refused_total\{reason="tsig_badsig"\} [1-9]/);
    expect(metrics).toMatch(/rpz_xfr_refused_total\{reason="tsig_badkey"\} [1-9]/);
  });

  it('answers the SOA over UDP on the same port (signed and, from RPZ_XFR_ALLOW, unsigned)', async () => {
    const signed = await dig(port, '-y', `hmac-sha256:${KEY}:${SECRET}`, 'rpz.tizilim.', 'SOA');
    expect(signed).toMatch(/status: NOERROR/);
    expect(records(signed).join('\n')).toMatch(new RegExp(`SOA localhost\\. hostmaster\\.tizilim\\.invalid\\. ${feed.version} `));
    const unsigned = await dig(open.rpz!.port, 'rpz.tizilim.', 'SOA');
    expect(unsigned).toMatch(/status: NOERROR/);
    expect(await dig(open.rpz!.port, 'other.zone.', 'SOA')).toMatch(/status: REFUSED/);
  });

  it('IXFR of one change is one small message with just that change; an old serial falls back to the whole zone', async () => {
    const before = feed.version;
    feed.add({ kind: 'domain', value: 'fresh.kz' });
    await waitFor(() => open.sync.version === feed.version, 5000);
    const out = await dig(open.rpz!.port, 'rpz.tizilim.', `IXFR=${before}`);
    const rr = records(out);
    expect(rr.map((l) => l.split(' ').slice(3, 4)[0])).toEqual(['SOA', 'SOA', 'SOA', 'CNAME', 'SOA']);
    expect(rr[3]).toBe('fresh.kz.rpz.tizilim. 60 IN CNAME .');
    expect(out).toMatch(/XFR size: 5 records \(messages 1, bytes \d{2,3}\)/);

    feed.remove('domain', 'fresh.kz');
    await waitFor(() => open.sync.version === feed.version, 5000);
    const undo = records(await dig(open.rpz!.port, 'rpz.tizilim.', `IXFR=${before + 1}`));
    expect(undo.map((l) => l.split(' ')[3])).toEqual(['SOA', 'SOA', 'CNAME', 'SOA', 'SOA']);
    expect(undo[2]).toBe('fresh.kz.rpz.tizilim. 60 IN CNAME .');

    const full = records(await dig(open.rpz!.port, 'rpz.tizilim.', 'IXFR=1'));
    expect(full).toContain('blocked.kz.rpz.tizilim. 60 IN CNAME .');
    expect(full).toContain('rpz.tizilim. 60 IN NS localhost.');
  });

  it('a name rule and a suffix on the same name write one apex record; removing the name rule hands it back', async () => {
    feed.add({ kind: 'domain', value: 'evil.kz', mode: 'allow' });
    await waitFor(() => open.sync.version === feed.version, 5000);
    const rr = records(await dig(open.rpz!.port, 'rpz.tizilim.', 'AXFR'));
    expect(rr.filter((l) => l.startsWith('evil.kz.'))).toEqual(['evil.kz.rpz.tizilim. 60 IN CNAME rpz-passthru.']);
    const v = feed.version;
    feed.remove('domain', 'evil.kz');
    await waitFor(() => open.sync.version === feed.version, 5000);
    const ixfr = records(await dig(open.rpz!.port, 'rpz.tizilim.', `IXFR=${v}`));
    expect(ixfr.slice(1, -1)).toEqual([
      expect.stringMatching(new RegExp(` SOA .* ${v} `)), 'evil.kz.rpz.tizilim. 60 IN CNAME rpz-passthru.',
      expect.stringMatching(new RegExp(` SOA .* ${feed.version} `)), 'evil.kz.rpz.tizilim. 60 IN CNAME .',
    ]);
  });

  it('/readyz reports the serial served and how stale it is', async () => {
    const body = await (await fetch(`http://127.0.0.1:${open.metricsPort}/readyz`)).json() as { rpz: { serial: number; staleSeconds: number } };
    expect(body.rpz.serial).toBe(feed.version);
    expect(body.rpz.staleSeconds).toBeLessThan(5);
  });

  it('keeps serving the last zone while the register is away, and says how stale it is', async () => {
    const serial = feed.version;
    await feed.close();
    await waitFor(() => open.sync.state === 'unreachable', 10_000);
    await new Promise((r) => setTimeout(r, 1100));
    const rr = records(await dig(open.rpz!.port, 'rpz.tizilim.', 'AXFR'));
    expect(rr[0]).toMatch(new RegExp(` SOA .* ${serial} `));
    expect(rr).toContain('blocked.kz.rpz.tizilim. 60 IN CNAME .');
    const body = await (await fetch(`http://127.0.0.1:${open.metricsPort}/readyz`)).json() as { sync: string; rpz: { serial: number; staleSeconds: number } };
    expect(body.sync).toBe('unreachable');
    expect(body.rpz.serial).toBe(serial);
    expect(body.rpz.staleSeconds).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`http://127.0.0.1:${open.metricsPort}/metrics`)).text()).toMatch(/rpz_zone_stale_seconds [1-9]/);
  });
});

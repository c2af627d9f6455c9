import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '@tizilim/register-api/testing/test-register';
import { apiClient, courtRuling } from '@tizilim/register-api/testing/http';
import { freePort } from './support/child-service.js';
import { LocalDnsResponder } from './support/local-dns-responder.js';
import { findUnbound, startUnbound, type UnboundProcess } from './support/unbound-process.js';

/**
 * An ISP that already runs Unbound takes the register as RPZ: the export of a real register,
 * loaded by the Debian package's Unbound, answers NXDOMAIN for every kind of rule (name,
 * suffix, response IP / CIDR) and lets everything else through to its (local) upstream.
 * Everything stays on 127.0.0.1: Unbound forwards the root to a local responder, sends only
 * from 127.0.0.1 and has no trust anchor to fetch.
 */
const UNBOUND = findUnbound();
const RPZ_ZONE = 'rpz.tizilim.';
const run = promisify(execFile);

if (!UNBOUND) {
  describe('Real Unbound loads the RPZ export', () => {
    it.skip('skipped: `unbound` is not installed here (apt-get install unbound; CI installs it)', () => undefined);
  });
}

describe.runIf(UNBOUND)('Real Unbound (Debian package) loads the RPZ export and answers NXDOMAIN for its rules', () => {
  let reg: TestRegister | undefined;
  let unbound: UnboundProcess | undefined;
  let dir: string | undefined;
  let rpzText = '';
  let version = 0;
  let port = 0;
  const upstream = new LocalDnsResponder({
    'ip-blocked.example.org': { a: [198, 51, 100, 7] },
    'ip-single.example.org': { a: [203, 0, 113, 9] },
    'ip-outside.example.org': { a: [198, 51, 101, 7] },
    'v6-blocked.example.org': { aaaa: [0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] },
  });

  async function dig(name: string, type = 'A'): Promise<{ status: string; text: string }> {
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+tries=1', '+time=3']);
    return { status: /status: (\w+)/.exec(stdout)?.[1] ?? 'none', text: stdout };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tizilim-unbound-rpz-'));
    reg = await startTestRegister();
    const api = apiClient(reg.app);
    const url = await reg.app.listen({ host: '127.0.0.1', port: 0 });

    const basis = (await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling)).body.id;
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict',
      resources: [
        'rpz-bad.example.kz', '*.rpz-evil.example.kz', '198.51.100.0/24', '203.0.113.9', '2001:db8:5::/48',
        'https://paths-only.example.kz/some/page',
      ],
      legalBasisId: basis, category: 'extremism',
    });
    expect(draft.status).toBe(201);
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.body.status).toBe('in_force');
    // Exceptions carved out of a wildcard: a name, a subtree; and an exact rule two labels down.
    const bet = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restrict', resources: ['*.rpz-bet.example.kz', 'deep.x.rpz-bet.example.kz'], legalBasisId: basis, category: 'gambling',
    });
    expect((await api('POST', `/v1/decisions/${bet.body.id}/approve`, reg.tokens.approver)).body.status).toBe('in_force');
    const restore = await api('POST', '/v1/decisions', reg.tokens.operator, {
      action: 'restore', resources: ['www.rpz-bet.example.kz', '*.open.rpz-bet.example.kz'], legalBasisId: basis, category: 'gambling',
    });
    expect(restore.status).toBe(201);
    const restored = await api('POST', `/v1/decisions/${restore.body.id}/approve`, reg.tokens.approver);
    expect(restored.body.status).toBe('in_force');
    version = Math.max(...(restored.body.logEntries as number[]));

    const res = await fetch(`${url}/v1/feed/rpz`, { headers: { authorization: `Bearer ${reg.tokens.isp}` } });
    expect(res.status).toBe(200);
    rpzText = await res.text();
    const rpzFile = join(dir, 'tizilim.rpz');
    writeFileSync(rpzFile, rpzText);

    const upstreamPort = await upstream.start();
    port = await freePort();
    unbound = startUnbound(UNBOUND!, { dir, port, upstreamPort, rpzZone: RPZ_ZONE, rpzFile });
    await unbound.waitUntilAnswers('rpz-bad.example.kz', 3, 30_000);
  });

  afterAll(async () => {
    await unbound?.stop();
    upstream.close();
    await reg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the export is a zone for rpz.tizilim. whose SOA serial is the register version', () => {
    expect(rpzText).toContain(`$ORIGIN ${RPZ_ZONE}`);
    expect(rpzText).toMatch(new RegExp(`@ IN SOA \\S+ \\S+ ${version} `));
  });

  it('answers NXDOMAIN for a name rule and never asks the upstream about it', async () => {
    expect((await dig('rpz-bad.example.kz')).status).toBe('NXDOMAIN');
    expect((await dig('RPZ-Bad.Example.KZ', 'AAAA')).status).toBe('NXDOMAIN');
    // An exact rule does not reach below the name.
    expect((await dig('www.rpz-bad.example.kz')).status).toBe('NOERROR');
    expect(upstream.names()).not.toContain('rpz-bad.example.kz');
  });

  it('answers NXDOMAIN for a suffix rule: the name itself and every name under it', async () => {
    for (const name of ['rpz-evil.example.kz', 'www.rpz-evil.example.kz', 'a.b.c.rpz-evil.example.kz']) {
      expect((await dig(name)).status, name).toBe('NXDOMAIN');
    }
    expect(upstream.names().filter((n) => n.endsWith('rpz-evil.example.kz'))).toEqual([]);
    expect((await dig('not-rpz-evil.example.kz')).status).toBe('NOERROR');
  });

  it('answers NXDOMAIN when the upstream answer is an address in a blocked CIDR or IP (rpz-ip)', async () => {
    expect((await dig('ip-blocked.example.org')).status).toBe('NXDOMAIN');
    expect((await dig('ip-single.example.org')).status).toBe('NXDOMAIN');
    expect((await dig('v6-blocked.example.org', 'AAAA')).status).toBe('NXDOMAIN');
    const outside = await dig('ip-outside.example.org');
    expect(outside.status).toBe('NOERROR');
    expect(outside.text).toMatch(/IN\s+A\s+198\.51\.101\.7/);
  });

  it('resolves an allowed name through the local upstream, and a URL rule does not block its host', async () => {
    const fine = await dig('fine.example.org');
    expect(fine.status).toBe('NOERROR');
    expect(fine.text).toMatch(/IN\s+A\s+192\.0\.2\.10/);
    expect(upstream.names()).toContain('fine.example.org');
    expect((await dig('paths-only.example.kz')).status).toBe('NOERROR');
  });

  it('lets exceptions through (rpz-passthru) and keeps the wildcard in force around and below them', async () => {
    for (const name of ['www.rpz-bet.example.kz', 'open.rpz-bet.example.kz', 'a.b.open.rpz-bet.example.kz']) {
      expect((await dig(name)).status, name).toBe('NOERROR');
    }
    for (const name of ['rpz-bet.example.kz', 'mail.rpz-bet.example.kz', 'a.www.rpz-bet.example.kz', 'deep.x.rpz-bet.example.kz', 'other.x.rpz-bet.example.kz', 'z.deep.x.rpz-bet.example.kz']) {
      expect((await dig(name)).status, name).toBe('NXDOMAIN');
    }
    expect(unbound!.output()).toMatch(/rpz: applied \[tizilim\] www\.rpz-bet\.example\.kz\. rpz-passthru/);
  });

  it('Unbound applied the rules through RPZ and logged no zone errors', () => {
    const log = unbound!.output();
    expect(log).toMatch(/rpz: applied \[tizilim\] rpz-bad\.example\.kz\. rpz-nxdomain/);
    expect(log).toMatch(/rpz: applied \[tizilim\] \*\.rpz-evil\.example\.kz\. rpz-nxdomain/);
    expect(log).toMatch(/rpz: applied \[tizilim\] 198\.51\.100\.0\/24 rpz-nxdomain .* ip-blocked\.example\.org\. A IN/);
    expect(log).toMatch(/rpz: applied \[tizilim\] 203\.0\.113\.9\/32 rpz-nxdomain .* ip-single\.example\.org\. A IN/);
    expect(log).toMatch(/rpz: applied \[tizilim\] 2001:db8:5::\/48 rpz-nxdomain .* v6-blocked\.example\.org\. AAAA IN/);
    const bad = log.split('\n').filter((l) => /\b(error|warning|fatal|failed|could not)\b/i.test(l));
    expect(bad, log).toEqual([]);
  });
});

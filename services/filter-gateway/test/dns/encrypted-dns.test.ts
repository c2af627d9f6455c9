import { execFile } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSelfSignedPair } from '../../src/tls/self-signed.js';
import { startGateway, tempDir, waitFor } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';
import { buildQuery, parse } from '../helpers/wire.js';

const run = promisify(execFile);
const tool = async (cmd: string, args: string[], timeout = 15_000): Promise<string> => {
  const { stdout, stderr } = await run(cmd, args, { timeout });
  return stdout + stderr;
};

/** The SHA-256 fingerprint a DoT client is shown, as `openssl`/Node print it. */
function peerFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!.fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

/** Several framed queries on one TLS connection; answers collected by ID, in arrival order. */
function dotExchange(port: number, msgs: Buffer[]): Promise<{ order: number[]; byId: Map<number, Buffer> }> {
  return new Promise((resolve, reject) => {
    const byId = new Map<number, Buffer>();
    const order: number[] = [];
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['dot'] }, () => {
      const framed = msgs.map((m) => { const l = Buffer.alloc(2); l.writeUInt16BE(m.length); return Buffer.concat([l, m]); });
      s.write(Buffer.concat(framed));
    });
    let acc = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      acc = Buffer.concat([acc, d]);
      while (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        const m = acc.subarray(2, 2 + acc.readUInt16BE(0));
        acc = acc.subarray(2 + m.length);
        order.push(m.readUInt16BE(0));
        byId.set(m.readUInt16BE(0), Buffer.from(m));
        if (byId.size === msgs.length) { s.end(); resolve({ order, byId }); }
      }
    });
    s.on('error', reject);
    setTimeout(() => { s.destroy(); reject(new Error(`only ${byId.size} of ${msgs.length} answers`)); }, 8_000).unref();
  });
}

describe('DNS over TLS and DoH over TLS with real clients', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>; let up: TestUpstream; let web: http.Server; let webPort: number;
  beforeAll(async () => {
    web = http.createServer((_req, res) => res.end('hello from allowed.kz\n'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    webPort = (web.address() as { port: number }).port;
    up = await new TestUpstream({
      'allowed.kz': { a: ['127.0.0.1'], aaaa: ['::1'] },
      'slow.kz': { a: ['10.3.3.3'] },
      'fast.kz': { a: ['10.4.4.4'] },
      'iprule.kz': { a: ['192.0.2.7'] },
    }).start();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir, [
      { id: 'a', kind: 'domain', value: 'blocked.kz', mode: 'restrict', entry: 101 },
      { id: 'b', kind: 'ip', value: '192.0.2.7', mode: 'restrict', entry: 301 },
    ]);
    gw = await startGateway({
      GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_TLS_CERT: '', GATEWAY_TLS_KEY: '',
      // Room for the deliberately slow upstream below on a loaded machine.
      UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_TOTAL_TIMEOUT_MS: '3000',
    });
  });
  afterAll(async () => {
    await gw.close(); await up.close();
    await new Promise<void>((r) => web.close(() => r()));
  });

  it('makes a self-signed pair under the data directory when none is configured', async () => {
    const pair = await ensureSelfSignedPair(path.join(gw.dataDir, 'tls'));
    expect(pair.created).toBe(false);
    expect(gw.tlsFingerprint).toBe(pair.fingerprint256);
    expect(await peerFingerprint(gw.dotPort)).toBe(pair.fingerprint256);
  });

  it('kdig +tls: blocked name with EDE 16, allowed name forwarded, IP rule applied', async () => {
    const at = ['@127.0.0.1', '-p', String(gw.dotPort), '+tls', '+edns', '+time=5', '+retry=0'];
    const blocked = await tool('kdig', [...at, 'blocked.kz', 'A']);
    expect(blocked).toContain('NXDOMAIN');
    expect(blocked).toContain('Tizilim register entry 101');
    expect(blocked).toMatch(/TLS session \(TLS1\.3\)/);
    const allowed = await tool('kdig', [...at, 'allowed.kz', 'A']);
    expect(allowed).toContain('NOERROR');
    expect(allowed).toMatch(/allowed\.kz\.\s+\d+\s+IN\s+A\s+127\.0\.0\.1/);
    const ip = await tool('kdig', [...at, 'iprule.kz', 'A']);
    expect(ip).toContain('NXDOMAIN');
    expect(ip).toContain('Tizilim register entry 301');
  });

  it('kdig +https speaks HTTP/2 to DoH (GET and POST)', async () => {
    for (const method of ['+https-get', '+https']) {
      const out = await tool('kdig', ['@127.0.0.1', '-p', String(gw.dohPort), method, '+edns', '+time=5', '+retry=0', 'blocked.kz', 'A']);
      expect(out, method).toContain('NXDOMAIN');
      expect(out, method).toContain('Tizilim register entry 101');
      expect(out, method).toMatch(method === '+https' ? /HTTP session \(HTTP\/2-POST\)/ : /HTTP session \(HTTP\/2-GET\)/);
    }
    const allowed = await tool('kdig', ['@127.0.0.1', '-p', String(gw.dohPort), '+https', '+time=5', '+retry=0', 'allowed.kz', 'AAAA']);
    expect(allowed).toMatch(/allowed\.kz\.\s+\d+\s+IN\s+AAAA\s+::1/);
  });

  it('curl --doh-url resolves through the gateway over HTTP/2 and HTTP/1.1, and fails on a blocked name', async () => {
    const doh = `https://127.0.0.1:${gw.dohPort}/dns-query`;
    for (const ver of ['--http2', '--http1.1']) {
      const ok = await tool('curl', ['-sS', ver, '--doh-insecure', '--doh-url', doh, '--max-time', '8', `http://allowed.kz:${webPort}/`]);
      expect(ok, ver).toContain('hello from allowed.kz');
    }
    const err = await run('curl', ['-sS', '--doh-insecure', '--doh-url', doh, '--max-time', '8', `http://blocked.kz:${webPort}/`], { timeout: 15_000 })
      .then(() => 'resolved', (e: { stderr?: string }) => e.stderr ?? String(e));
    expect(err).toMatch(/(Could not|Couldn't) resolve host/);
  });

  it('DoH over HTTP/1.1 with TLS answers GET and POST (RFC 8484 4.1)', async () => {
    const out = await tool('curl', ['-sS', '-k', '--http1.1', '-o', '/dev/null', '-w', '%{http_code} %{http_version} %{content_type}',
      `https://127.0.0.1:${gw.dohPort}/dns-query?dns=${buildQuery('allowed.kz').toString('base64url')}`]);
    expect(out).toBe('200 1.1 application/dns-message');
  });

  it('DoT keeps one connection for pipelined queries and answers them as they complete (RFC 7766 6.2.1.1)', async () => {
    // Prime fast.kz into the cache first, then ask the slow one first and the cached one second.
    await dotExchange(gw.dotPort, [buildQuery('fast.kz', { id: 1 })]);
    up.mode = 'slow'; up.slowMs = 300; // under this gateway's 1.5 s attempt timeout
    const { order, byId } = await dotExchange(gw.dotPort, [
      buildQuery('slow.kz', { id: 10 }), buildQuery('fast.kz', { id: 11 }), buildQuery('blocked.kz', { id: 12 }),
    ]);
    up.mode = 'normal';
    expect(order, JSON.stringify(order)).toEqual([11, 12, 10]); // the slow one last: out of order
    expect(parse(byId.get(10)!).answers[0]?.address).toBe('10.3.3.3');
    expect(parse(byId.get(11)!).answers[0]?.address).toBe('10.4.4.4');
    expect(parse(byId.get(12)!).header.rcode).toBe(3);
  });

  for (const mode of ['dot', 'doh'] as const) {
    it(`dnsperf -m ${mode} gets every query answered`, async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'queries.txt');
      await writeFile(file, 'allowed.kz A\nblocked.kz A\nfast.kz A\niprule.kz A\n'.repeat(10));
      const port = mode === 'dot' ? gw.dotPort : gw.dohPort;
      // dnsperf 2.10's DoH client takes one answer at a time (two DATA frames ending streams in one
      // read abort it: "frame received when already having a dns msg"), hence -q 1 there.
      const out = await tool('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-m', mode, '-d', file, '-n', '1', '-t', '5',
        ...(mode === 'doh' ? ['-c', '1', '-q', '1'] : ['-c', '2']),
        ...(mode === 'doh' ? ['-O', `doh-uri=https://127.0.0.1:${port}/dns-query`] : [])], 30_000);
      expect(out).toMatch(/Queries sent:\s+40/);
      expect(out).toMatch(/Queries completed:\s+40 \(100\.00%\)/);
      expect(out).toMatch(/NXDOMAIN 20 /);
    });
  }
});

describe('certificate from GATEWAY_TLS_CERT / GATEWAY_TLS_KEY, reloaded on change', () => {
  it('serves the configured pair and the new one after the files change', async () => {
    const dir = await tempDir();
    const first = await ensureSelfSignedPair(path.join(dir, 'one'));
    const second = await ensureSelfSignedPair(path.join(dir, 'two'));
    const cert = path.join(dir, 'cert.pem'); const key = path.join(dir, 'key.pem');
    await copyFile(first.certFile, cert); await copyFile(first.keyFile, key);
    const up = await new TestUpstream({}).start();
    const gw = await startGateway({ UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_TLS_CERT: cert, GATEWAY_TLS_KEY: key });
    try {
      expect(await peerFingerprint(gw.dotPort)).toBe(first.fingerprint256);
      expect(await peerFingerprint(gw.dohPort)).toBe(first.fingerprint256);
      // Half a renewal (new cert, old key) is refused and the old pair kept.
      await copyFile(second.certFile, cert);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await peerFingerprint(gw.dotPort)).toBe(first.fingerprint256);
      await copyFile(second.keyFile, key);
      await waitFor(async () => (await peerFingerprint(gw.dotPort)) === second.fingerprint256, 6_000, 200);
      expect(await peerFingerprint(gw.dohPort)).toBe(second.fingerprint256);
    } finally { await gw.close(); await up.close(); }
  });

  it('refuses to start with only one of the two set', async () => {
    await expect(startGateway({ GATEWAY_TLS_CERT: '/nonexistent.pem', GATEWAY_TLS_KEY: '' })).rejects.toThrow(/GATEWAY_TLS_CERT and GATEWAY_TLS_KEY/);
  });
});

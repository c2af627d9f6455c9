import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream, deadPort } from '../helpers/upstream-server.js';

const run = promisify(execFile);
const PKG = fileURLToPath(new URL('../..', import.meta.url));

/** A port free for both TCP and UDP right now (the child binds it a moment later). */
async function freePort(): Promise<number> {
  for (;;) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    const u = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => { u.once('error', () => r(false)); u.bind(port, '127.0.0.1', () => r(true)); });
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) { await new Promise<void>((r) => u.close(() => r())); return port; }
  }
}

describe('cluster', () => {
  let child: ChildProcess | undefined;
  afterAll(() => { child?.kill('SIGKILL'); });

  it('main.ts with GATEWAY_WORKERS=2 serves dig, aggregates metrics and stops on SIGTERM', async () => {
    const up = await new TestUpstream({ 'allowed.kz': { a: ['10.1.1.1'] } }).start();
    const dataDir = await tempDir();
    await seedSnapshot(dataDir);
    const [dns, doh, metrics, sni, blockpage, dot, rpz] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: PKG,
      env: {
        ...process.env, GATEWAY_WORKERS: '2', DNS_PORT: String(dns), DOH_PORT: String(doh), DOT_PORT: String(dot),
        GATEWAY_METRICS_PORT: String(metrics), SNI_PORT: String(sni), BLOCKPAGE_PORT: String(blockpage), QUIC_PORT: '0', RPZ_XFR_PORT: String(rpz), GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`,
        REGISTER_URL: `http://127.0.0.1:${await deadPort()}`, LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    try {
      await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${metrics}/readyz`).catch(() => undefined);
        return r?.status === 200;
      }, 60_000, 100); // two workers loading tsx on a loaded 2-core machine: a bound, not a goal
      const dig = async (...args: string[]): Promise<string> =>
        (await run('dig', ['@127.0.0.1', '-p', String(dns), '+tries=1', '+time=3', ...args], { timeout: 10_000 })).stdout;
      for (let i = 0; i < 6; i++) {
        expect(await dig('blocked.kz')).toContain('status: NXDOMAIN');
        expect(await dig('+tcp', 'allowed.kz')).toMatch(/allowed\.kz\.\s+\d+\s+IN\s+A\s+10\.1\.1\.1/);
      }
      // DoT and DoH over TLS from the workers, with the one certificate the primary settled.
      for (const [port, flag] of [[dot, '+tls'], [doh, '+https']] as const) {
        const out = (await run('kdig', ['@127.0.0.1', '-p', String(port), flag, '+edns', '+time=5', '+retry=0', 'blocked.kz'], { timeout: 10_000 })).stdout;
        expect(out, flag).toContain('NXDOMAIN');
        expect(out, flag).toContain('Tizilim register entry 101');
      }
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      const blocked = /dns_queries_total\{transport="udp",result="blocked"\} (\d+)/.exec(text);
      expect(Number(blocked?.[1])).toBe(6);
      expect(text).toMatch(/register_version 200/);
      // Workers run with the young generation at full size (GATEWAY_NODE_FLAGS): two 16 MiB
      // semi-spaces each, where a worker started without the flag still has 16 MiB in all here.
      const newSpace = /nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/.exec(text);
      expect(Number(newSpace?.[1])).toBeGreaterThanOrEqual(2 * 32 * 2 ** 20);
      // The RPZ primary runs in the cluster primary, from the snapshot on disk (register down).
      const axfr = (await run('dig', ['@127.0.0.1', '-p', String(rpz), 'rpz.tizilim.', 'AXFR'], { timeout: 10_000 })).stdout;
      expect(axfr).toMatch(/rpz\.tizilim\.\s+60\s+IN\s+SOA\s+localhost\. hostmaster\.tizilim\.invalid\. 200 /);
      expect(axfr).toMatch(/^\*\.evil\.kz\.rpz\.tizilim\.\s+60\s+IN\s+CNAME\s+\.$/m);
      expect(text).toMatch(/rpz_zone_serial 200/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- gateway output ---\n${output}`);
    }
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    await up.close();
  }, 120_000);
});

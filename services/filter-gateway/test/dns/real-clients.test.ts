import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UDP_MODE_NAMES, startGateway, tempDir } from '../helpers/gateway.js';
import { seedSnapshot } from '../helpers/rules.js';
import { TestUpstream } from '../helpers/upstream-server.js';

const run = promisify(execFile);

async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: 10_000 });
  return stdout;
}

// Both UDP paths: the batching addon (recvmmsg/sendmmsg) and plain dgram.
for (const udpBatch of ['on', 'off'] as const) {
  describe(`dig and kdig against the gateway (UDP ${UDP_MODE_NAMES[udpBatch]})`, () => {
    let gw: Awaited<ReturnType<typeof startGateway>>; let up: TestUpstream;
    beforeAll(async () => {
      up = await new TestUpstream({ 'allowed.kz': { a: ['10.1.1.1'] } }).start();
      const dataDir = await tempDir();
      await seedSnapshot(dataDir);
      gw = await startGateway({ GATEWAY_DATA_DIR: dataDir, UPSTREAMS: `127.0.0.1:${up.port}`, GATEWAY_UDP_BATCH: udpBatch });
    });
    afterAll(async () => { await gw.close(); await up.close(); });

    const at = (): string[] => ['@127.0.0.1', '-p', String(gw.dnsPort), '+tries=1', '+time=3'];

    for (const transport of ['udp', 'tcp']) {
      it(`dig over ${transport}: blocked name gets NXDOMAIN with EDE 16 and the entry`, async () => {
        const out = await tool('dig', [...at(), ...(transport === 'tcp' ? ['+tcp'] : []), 'Blocked.KZ', 'A']);
        expect(out).toContain('status: NXDOMAIN');
        expect(out).toMatch(/EDE: 16 \(Censored\)/);
        expect(out).toContain('Tizilim register entry 101');
        expect(out).toMatch(/;Blocked\.KZ\.\s+IN\s+A/);
        expect(out).toMatch(/Blocked\.KZ\.\s+60\s+IN\s+SOA\s+tizilim\.invalid\./);
      });

      it(`dig over ${transport}: allowed name is forwarded`, async () => {
        const out = await tool('dig', [...at(), ...(transport === 'tcp' ? ['+tcp'] : []), 'allowed.kz', 'A']);
        expect(out).toContain('status: NOERROR');
        expect(out).toMatch(/allowed\.kz\.\s+\d+\s+IN\s+A\s+10\.1\.1\.1/);
      });
    }

    it('dig without EDNS gets no OPT', async () => {
      const out = await tool('dig', [...at(), '+noedns', 'www.evil.kz']);
      expect(out).toContain('status: NXDOMAIN');
      expect(out).not.toContain('OPT PSEUDOSECTION');
    });

    // kdig +https needs TLS; the DoH listener is plain HTTP, so DoH is covered with fetch.
    it('kdig over UDP (with EDNS) and TCP', async () => {
      const udp = await tool('kdig', [...at().slice(0, 3), '+edns', 'blocked.kz', 'A']);
      expect(udp).toContain('NXDOMAIN');
      expect(udp).toContain('Tizilim register entry 101');
      const tcp = await tool('kdig', [...at().slice(0, 3), '+tcp', 'allowed.kz', 'A']);
      expect(tcp).toContain('NOERROR');
      expect(tcp).toContain('10.1.1.1');
    });
  });
}

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, startChild, waitForOk } from '../../test/support/child-service.js';
import { NAMED, PDNS_RECURSOR, UNBOUND, startBind, startPdns, startUnboundSecondary, type Secondary } from '../../test/support/rpz-secondaries.js';
import { GOOD_KEY, RpzSubscription, type RegisterHandle } from '../../test/support/rpz-subscription.js';
import { udpRcode } from '../../test/support/udp-dns-query.js';

/**
 * Approve → enforced in each resolver: one register, one gateway, BIND, Unbound and PowerDNS
 * Recursor subscribed to it with the README's configurations. Each approval is timed from
 * sending the approve request (the draft is made before) to the first NXDOMAIN each resolver gives for the new name,
 * polled over UDP every 10 ms per resolver.
 */
/** The register as `npm start` runs it (embedded PGlite), with the users the approvals need. */
async function registerProcess(dir: string): Promise<RegisterHandle> {
  const port = await freePort();
  const admin = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    DATA_DIR: join(dir, 'register-data'), API_HOST: '127.0.0.1', API_PORT: String(port), ADMIN_TOKEN: admin,
    LOG_LEVEL: 'warn', PUBLIC_RATE_LIMIT: '1000000',
  };
  const proc = startChild('services/register-api/src/main.ts', env);
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/readyz`, proc, 120_000);
  const user = async (name: string, roles: string[]): Promise<string> => {
    const res = await fetch(`${url}/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, roles }) });
    if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const tokens = { operator: await user('operator', ['operator']), approver: await user('approver', ['approver']), approver2: await user('approver2', ['approver']), isp: await user('isp', ['isp']) };
  return { url, tokens, close: async () => { await proc.stop(); } };
}

export async function runPropagation(n: number): Promise<void> {
  const sub = new RpzSubscription();
  const ports = { bind: await freePort(), unbound: await freePort(), pdns: await freePort() };
  try {
    await sub.start({ register: await registerProcess(sub.dir), notifyPorts: [ports.bind, ports.unbound, ports.pdns], initial: ['seed.propagation.example.kz'] });
    const resolvers: { name: string; port: number; proc: Secondary }[] = [];
    if (NAMED) resolvers.push({ name: 'BIND 9.18', port: ports.bind, proc: sub.add(startBind(sub.secondaryOptions(ports.bind, GOOD_KEY))) });
    if (UNBOUND) resolvers.push({ name: 'Unbound 1.17', port: ports.unbound, proc: sub.add(startUnboundSecondary(sub.secondaryOptions(ports.unbound))) });
    if (PDNS_RECURSOR) resolvers.push({ name: 'PowerDNS Recursor 4.8', port: ports.pdns, proc: sub.add(startPdns(sub.secondaryOptions(ports.pdns, GOOD_KEY))) });
    for (const r of resolvers) {
      const deadline = Date.now() + 60_000;
      while ((await udpRcode(r.port, 'seed.propagation.example.kz', 300)) !== 3) {
        if (Date.now() > deadline) throw new Error(`${r.name} never loaded the zone:\n${r.proc.output().slice(-3000)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    const samples = new Map<string, number[]>(resolvers.map((r) => [r.name, []]));
    // The register's own share: until the approve request returns (the gateway hears of it after).
    samples.set('approve request alone', []);
    const benchStart = Date.now();
    for (let i = 0; i < n; i++) {
      if (Date.now() - benchStart > 240_000) { console.log(`stopping after ${i} approvals (4 min bound)`); break; }
      const name = `p${i}-${Date.now().toString(36)}.propagation.example.kz`;
      const { approveSentAt: t0 } = await sub.decide('restrict', [name]);
      samples.get('approve request alone')!.push(performance.now() - t0);
      await Promise.all(resolvers.map(async (r) => {
        for (;;) {
          if ((await udpRcode(r.port, name, 200)) === 3) { samples.get(r.name)!.push(performance.now() - t0); return; }
          if (performance.now() - t0 > 10_000) { samples.get(r.name)!.push(Infinity); return; }
          await new Promise((res) => setTimeout(res, 10));
        }
      }));
      await new Promise((res) => setTimeout(res, 100));
    }
    for (const [name, s] of samples) {
      s.sort((a, b) => a - b);
      const q = (p: number): string => { const v = s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!; return Number.isFinite(v) ? `${Math.round(v)}` : '>10000'; };
      console.log(`propagation ${name}: n=${s.length} median ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
    }
  } finally {
    await sub.close();
  }
}

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { courtRuling } from '@tizilim/register-api/testing/http';
import { freePort, startChild, waitForOk, type ChildService } from './child-service.js';
import { LocalDnsResponder } from './local-dns-responder.js';
import { udpRcode } from './udp-dns-query.js';
import type { Secondary, SecondaryOptions, TsigSecret } from './rpz-secondaries.js';

/**
 * A register, a gateway process serving the RPZ primary, and resolvers subscribed to it:
 * what an ISP runs. Decisions go through the register's API (draft, then a different person
 * approves), so every change reaches the resolvers the way it would in production.
 */
const run = promisify(execFile);
export const RPZ_ZONE = 'rpz.tizilim.';
export const GOOD_KEY: TsigSecret = { name: 'tizilim-xfr', secret: Buffer.from('tizilim rpz transfer key, 32 by!').toString('base64') };
export const WRONG_KEY: TsigSecret = { name: 'tizilim-xfr', secret: Buffer.from('not the key the gateway holds!!!').toString('base64') };

/** A running register with one token per role the subscription needs (a test register, or a process). */
export interface RegisterHandle {
  url: string;
  tokens: { operator: string; approver: string; approver2: string; isp: string };
  close(): Promise<void>;
}

export class RpzSubscription {
  reg!: RegisterHandle;
  gateway!: ChildService;
  basis = '';
  xfrPort = 0;
  metricsPort = 0;
  upstreamPort = 0;
  readonly upstream = new LocalDnsResponder();
  readonly dir = mkdtempSync(join(tmpdir(), 'tizilim-rpz-xfr-'));
  readonly #secondaries: Secondary[] = [];

  /** Starts register and gateway; `notifyPorts` are the resolvers' ports (NOTIFY targets, signed when `signNotify`). */
  async start(o: { register: RegisterHandle; notifyPorts: number[]; signNotify?: boolean; xfrAllow?: string; initial: string[] }): Promise<void> {
    this.reg = o.register;
    const registerUrl = this.reg.url;
    this.basis = (await this.api('POST', '/v1/legal-bases', this.reg.tokens.operator, courtRuling)).body.id;
    await this.decide('restrict', o.initial);
    this.upstreamPort = await this.upstream.start();
    const notify = o.notifyPorts.map((p) => `127.0.0.1:${p}${o.signNotify ? `@${GOOD_KEY.name}` : ''}`).join(',');
    // A port freePort found free can be taken by another test file before the gateway binds it:
    // then the gateway exits with EADDRINUSE, and it starts again on other ports.
    for (let attempt = 1; ; attempt++) {
      this.xfrPort = await freePort();
      this.metricsPort = await freePort();
      this.gateway = startChild('services/filter-gateway/src/main.ts', {
        REGISTER_URL: registerUrl, ISP_TOKEN: this.reg.tokens.isp, GATEWAY_WORKERS: '1', GATEWAY_DATA_DIR: join(this.dir, 'gateway'),
        DNS_PORT: String(await freePort()), DOH_PORT: String(await freePort()), GATEWAY_METRICS_PORT: String(this.metricsPort),
        SNI_PORT: String(await freePort()), QUIC_PORT: String(await freePort()), BLOCKPAGE_PORT: String(await freePort()), UPSTREAMS: `127.0.0.1:${this.upstreamPort}`,
        RPZ_XFR_PORT: String(this.xfrPort), RPZ_ZONE, RPZ_TSIG_KEYS: `${GOOD_KEY.name}:${GOOD_KEY.secret}`, RPZ_NOTIFY: notify,
        ...(o.xfrAllow !== undefined ? { RPZ_XFR_ALLOW: o.xfrAllow } : {}),
        SYNC_WAIT_SECONDS: '20', LOG_LEVEL: 'info',
      });
      try {
        await waitForOk(`http://127.0.0.1:${this.metricsPort}/readyz`, this.gateway, 60_000);
        return;
      } catch (err) {
        if (attempt >= 3 || !this.gateway.output().includes('EADDRINUSE')) throw err;
      }
    }
  }

  secondaryOptions(port: number, key?: TsigSecret): SecondaryOptions {
    const dir = mkdtempSync(join(this.dir, 'resolver-'));
    return { dir, port, primaryPort: this.xfrPort, upstreamPort: this.upstreamPort, zone: RPZ_ZONE, key };
  }

  add(s: Secondary): Secondary {
    this.#secondaries.push(s);
    return s;
  }

  async api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.reg.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed };
  }

  /**
   * Drafts a decision and has a second person approve it; returns when the approval returned,
   * with the moment (performance.now()) the approve request was sent.
   */
  async decide(action: 'restrict' | 'restore', resources: string[]): Promise<{ entries: number[]; approveSentAt: number }> {
    const draft = await this.api('POST', '/v1/decisions', this.reg.tokens.operator, {
      action, resources, legalBasisId: this.basis, category: 'extremism', ...(action === 'restore' ? { note: 'appeal granted' } : {}),
    });
    if (draft.status !== 201) throw new Error(`draft failed: ${JSON.stringify(draft.body)}`);
    const approveSentAt = performance.now();
    const approved = await this.api('POST', `/v1/decisions/${draft.body.id}/approve`, action === 'restore' ? this.reg.tokens.approver2 : this.reg.tokens.approver);
    if (approved.status !== 200) throw new Error(`approval failed: ${JSON.stringify(approved.body)}`);
    return { entries: approved.body.logEntries as number[], approveSentAt };
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#secondaries.map((s) => s.stop()));
    await this.gateway?.stop();
    this.upstream.close();
    await this.reg?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The rcode a resolver gives for `name` (dig, as the brief's check says), or 'none'. */
export async function digStatus(port: number, name: string): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), name, 'A', '+tries=1', '+time=2']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
}

/** Polls a resolver over UDP until `name` gets `rcode` (3 = NXDOMAIN, 0 = NOERROR); returns the ms it took. */
export async function waitForRcode(port: number, name: string, rcode: number, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if ((await udpRcode(port, name, 300)) === rcode) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${name} did not get rcode ${rcode} from 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** How many transfers of `kind` (axfr, ixfr, ixfr_full, …) the gateway's metrics count as done. */
export function transfersDone(metrics: string, kind: string): number {
  return Number(new RegExp(`rpz_xfr_transfers_total\\{kind="${kind}",result="ok"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
}

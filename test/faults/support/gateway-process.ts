import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startChild, waitForOk, type ChildService } from '../../support/child-service.js';

export interface GatewayProcess extends ChildService {
  ports: { dns: number; doh: number; metrics: number; sni: number; blockpage: number };
  readyz(): Promise<{ status: number; body: Record<string, unknown> }>;
  metric(name: string): Promise<number | undefined>;
}

/** The real gateway entry point (main.ts) as its own process, on free ports. */
export async function startGatewayProcess(env: Record<string, string>, opts: { waitReady?: boolean } = {}): Promise<GatewayProcess> {
  const ports = { dns: await freePort(), doh: await freePort(), metrics: await freePort(), sni: await freePort(), blockpage: await freePort() };
  const svc = startChild('services/filter-gateway/src/main.ts', {
    DNS_PORT: String(ports.dns), DOH_PORT: String(ports.doh), GATEWAY_METRICS_PORT: String(ports.metrics),
    SNI_PORT: String(ports.sni), BLOCKPAGE_PORT: String(ports.blockpage), GATEWAY_WORKERS: '1', LOG_LEVEL: 'warn',
    HEARTBEAT_INTERVAL_MS: '3600000',
    ...env,
  });
  const base = `http://127.0.0.1:${ports.metrics}`;
  const gw: GatewayProcess = Object.assign(svc, {
    ports,
    async readyz() {
      const res = await fetch(`${base}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async metric(name: string) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    },
  });
  if (opts.waitReady !== false) await waitForOk(`${base}/readyz`, svc, 60_000);
  return gw;
}

/** The gateway's snapshot file, checked whole: a header, then exactly `count` parseable rule lines. */
export function readWholeSnapshot(dataDir: string): { version: number; count: number; values: Set<string> } {
  const lines = readFileSync(join(dataDir, 'snapshot.ndjson'), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = JSON.parse(lines[0]!) as { version: number; count: number };
  if (lines.length !== header.count + 1) throw new Error(`snapshot torn: header says ${header.count} rules, file has ${lines.length - 1}`);
  const values = new Set<string>();
  for (const l of lines.slice(1)) {
    const r = JSON.parse(l) as { kind: string; value: string };
    values.add(`${r.kind} ${r.value}`);
  }
  return { ...header, values };
}

export const faultsEnabled = process.env.TIZILIM_FAULTS === '1';

import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpzCoverContext, type FeedRule, type RuleMode } from '@tizilim/shared';
import type { ActiveRuleRow } from '@tizilim/register-api/repositories/feed-repository';
import { rpzHeader, rpzLines } from '@tizilim/register-api/routes/feed/rpz-lines';
import { snapshotPath, writeSnapshotFile } from '@tizilim/filter-gateway/sync/snapshot-file';
import { freePort, processTree, rssMiB, startProc, type Proc } from './procs.js';
import { waitForRcode } from './udp-query.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RPZ_ZONE = 'rpz.tizilim.';
export const UNBOUND = process.env['UNBOUND_BIN'] ?? '/usr/sbin/unbound';

/**
 * The rules as the register's own RPZ export writes them (same header and record code, and the
 * same cover context: the suffix rules in force, so a name rule under one, such as an exception,
 * keeps the suffix rule's wildcard in force below it).
 */
export async function writeRpzFile(file: string, rules: readonly FeedRule[], version: number): Promise<void> {
  const out = createWriteStream(file);
  const suffixModes = new Map<string, RuleMode>();
  for (const r of rules) if (r.kind === 'domain_suffix') suffixModes.set(r.value, r.mode);
  const context = new RpzCoverContext(suffixModes);
  let chunk = rpzHeader(RPZ_ZONE, version);
  for (const r of rules) {
    const row: Pick<ActiveRuleRow, 'kind' | 'value' | 'mode' | 'ends_at' | 'add_seq'> = {
      kind: r.kind, value: r.value, mode: r.mode, ends_at: null, add_seq: r.entry,
    };
    chunk += rpzLines(row as ActiveRuleRow, context);
    if (chunk.length > 1 << 16) { if (!out.write(chunk)) await once(out, 'drain'); chunk = ''; }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** The gateway's own on-disk snapshot, written by its own writer: it starts from it without a register. */
export async function writeGatewaySnapshot(dataDir: string, rules: readonly FeedRule[], version: number): Promise<string> {
  const file = snapshotPath(dataDir);
  await writeSnapshotFile(file, version, rules, rules.length);
  return file;
}

const common = (dir: string, port: number): string[] => [
  'server:',
  '  verbosity: 1',
  '  interface: 127.0.0.1',
  `  port: ${port}`,
  '  do-ip4: yes',
  '  do-ip6: no',
  '  outgoing-interface: 127.0.0.1',
  '  access-control: 127.0.0.0/8 allow',
  '  username: ""',
  '  chroot: ""',
  `  directory: "${dir}"`,
  `  pidfile: "${join(dir, `unbound-${port}.pid`)}"`,
  '  logfile: ""',
  '  use-syslog: no',
  '  do-daemonize: no',
  '  do-not-query-localhost: no',
  '  trust-anchor-signaling: no',
  '  root-key-sentinel: no',
  '  num-threads: 1',
];

/**
 * Unbound as the ISP would run it with the register's RPZ: one thread (compared per core),
 * caches large enough for the allowed query set, no per-query RPZ logging, the root
 * forwarded to the local upstream.
 */
export function rpzUnboundConf(dir: string, port: number, upstreamPort: number, rpzFile: string): string {
  return [
    ...common(dir, port),
    '  module-config: "respip validator iterator"',
    '  msg-cache-size: 64m',
    '  rrset-cache-size: 128m',
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${upstreamPort}`,
    'rpz:',
    `  name: ${RPZ_ZONE}`,
    `  zonefile: "${rpzFile}"`,
    '',
  ].join('\n');
}

/**
 * The shared upstream both servers forward allowed names to: a second Unbound that answers
 * every name itself from a `redirect` local zone at the root (A 192.0.2.1, TTL 3600). It
 * never recurses; its forward-zone points at the discard port of 127.0.0.1 in case it ever did.
 */
export function upstreamUnboundConf(dir: string, port: number): string {
  return [
    ...common(dir, port),
    '  module-config: "iterator"',
    '  local-zone: "." redirect',
    '  local-data: ". 3600 IN A 192.0.2.1"',
    '  local-data: ". 3600 IN AAAA 2001:db8::1"',
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    '  forward-addr: 127.0.0.1@9',
    '',
  ].join('\n');
}

export interface Server {
  name: string;
  port: number;
  proc: Proc;
  /** The server's processes now (the gateway's primary and workers; Unbound's one). */
  pids(): number[];
  rss(): number;
  /** ms from spawn until it answered a blocked probe with NXDOMAIN. */
  loadMs: number;
  stop(): Promise<void>;
}

export async function startUnbound(name: string, dir: string, confText: string, probe: { name: string; rcode: number | undefined }, timeoutMs = 120_000): Promise<Server> {
  const port = Number(/port: (\d+)/.exec(confText)![1]);
  const conf = join(dir, `unbound-${port}.conf`);
  writeFileSync(conf, confText);
  const t0 = performance.now();
  const proc = startProc(UNBOUND, ['-d', '-c', conf], { cwd: dir });
  try {
    await waitForRcode(port, probe.name, probe.rcode, timeoutMs, proc.alive);
  } catch (err) {
    await proc.stop();
    throw new Error(`${name}: ${(err as Error).message}\n${proc.output().slice(-3000)}`);
  }
  const loadMs = performance.now() - t0;
  return {
    name, port, proc, loadMs,
    pids: () => (proc.alive() ? [proc.pid] : []),
    rss: () => rssMiB([proc.pid]),
    stop: () => proc.stop(),
  };
}

export interface GatewayPorts { dns: number; doh: number; metrics: number; dot: number }

/**
 * The gateway as `npm start -w services/filter-gateway` runs it (node --import tsx main.ts),
 * in its own process group, from the snapshot in `dataDir`. The register URL points at a
 * closed loopback port: the gateway enforces its snapshot and retries quietly.
 */
export async function startGateway(
  name: string, dataDir: string, workers: number, upstreamPort: number, probe: string,
  extraEnv: Record<string, string> = {}, nodeArgs: string[] = [],
): Promise<Server & { ports: GatewayPorts }> {
  const ports = { dns: await freePort(), doh: await freePort(), metrics: await freePort(), dot: await freePort() };
  const { ISP_TOKEN: _ignored, ...inherited } = process.env as Record<string, string>;
  const env: Record<string, string> = {
    ...inherited,
    GATEWAY_HOST: '127.0.0.1',
    DNS_PORT: String(ports.dns), DOH_PORT: String(ports.doh), DOT_PORT: String(ports.dot), GATEWAY_METRICS_PORT: String(ports.metrics),
    SNI_PORT: String(await freePort()), BLOCKPAGE_PORT: String(await freePort()), QUIC_PORT: '0', RPZ_XFR_PORT: 'off',
    UPSTREAMS: `127.0.0.1:${upstreamPort}`,
    GATEWAY_DATA_DIR: dataDir, GATEWAY_WORKERS: String(workers),
    REGISTER_URL: `http://127.0.0.1:${await freePort()}`, SYNC_MAX_BACKOFF_MS: '600000',
    PUBLIC_BASE_URL: 'https://register.example.kz',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const t0 = performance.now();
  const proc = startProc(process.execPath, [...nodeArgs, '--import', 'tsx', 'services/filter-gateway/src/main.ts'], { cwd: REPO_ROOT, env, detached: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (!proc.alive()) throw new Error(`${name} exited before it was ready:\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) { await proc.stop(); throw new Error(`${name} not ready in 180 s:\n${proc.output().slice(-3000)}`); }
    try {
      const res = await fetch(`http://127.0.0.1:${ports.metrics}/readyz`);
      if (res.ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await waitForRcode(ports.dns, probe, 3, 30_000, proc.alive);
  const loadMs = performance.now() - t0;
  return {
    name, port: ports.dns, proc, loadMs, ports,
    pids: () => (proc.alive() ? processTree(proc.pid) : []),
    rss: () => rssMiB(processTree(proc.pid)),
    stop: () => proc.stop(10_000),
  };
}

/** `dns_queries_total` of the gateway by result, summed over transports and workers. */
export async function gatewayAnswerKinds(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^dns_queries_total\{([^}]*)\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/gm)) {
    const kind = /result="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    out[kind] = (out[kind] ?? 0) + Number(m[2]);
  }
  return out;
}

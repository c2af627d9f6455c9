import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { udpRcode } from './udp-dns-query.js';

/** Path of the unbound binary (UNBOUND_BIN, else the usual places), or undefined when there is none. */
export function findUnbound(): string | undefined {
  const candidates = process.env['UNBOUND_BIN'] ? [process.env['UNBOUND_BIN']] : ['/usr/sbin/unbound', '/usr/local/sbin/unbound', 'unbound'];
  for (const candidate of candidates) {
    const r = spawnSync(candidate, ['-V'], { encoding: 'utf8', timeout: 5_000 });
    if (r.status === 0 && /unbound/i.test(r.stdout)) return candidate;
  }
  return undefined;
}

export interface UnboundOptions {
  /** Working directory: config, pid file and (usually) the zone file live here. */
  dir: string;
  port: number;
  /** Everything not answered from RPZ or cache goes here (127.0.0.1 only). */
  upstreamPort: number;
  rpzZone: string;
  rpzFile: string;
  /** When set, the zone is transferred from this loopback port (a secondary of our RPZ primary), NOTIFY accepted. */
  rpzPrimaryPort?: number;
}

/**
 * A configuration that keeps Unbound on loopback: it listens on 127.0.0.1, sends only from
 * 127.0.0.1, forwards the root (so it never asks root servers) to a local responder, has no
 * trust anchor to fetch or probe, no remote control, no privilege drop and no chroot.
 */
export function unboundConf(o: UnboundOptions): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    'server:',
    '  verbosity: 1',
    '  interface: 127.0.0.1',
    `  port: ${o.port}`,
    '  do-ip4: yes',
    '  do-ip6: no',
    '  do-udp: yes',
    '  do-tcp: yes',
    '  outgoing-interface: 127.0.0.1',
    '  access-control: 127.0.0.0/8 allow',
    '  username: ""',
    '  chroot: ""',
    `  directory: ${q(o.dir)}`,
    `  pidfile: ${q(join(o.dir, 'unbound.pid'))}`,
    '  logfile: ""',
    '  use-syslog: no',
    '  log-time-ascii: yes',
    '  do-daemonize: no',
    '  do-not-query-localhost: no',
    '  module-config: "respip validator iterator"',
    // No trust anchor at all: nothing to fetch (auto-trust-anchor), nothing to signal.
    '  trust-anchor-signaling: no',
    '  root-key-sentinel: no',
    '  num-threads: 1',
    'remote-control:',
    '  control-enable: no',
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${o.upstreamPort}`,
    'rpz:',
    `  name: ${q(o.rpzZone)}`,
    ...(o.rpzPrimaryPort === undefined ? [] : [`  primary: 127.0.0.1@${o.rpzPrimaryPort}`, '  allow-notify: 127.0.0.1']),
    `  zonefile: ${q(o.rpzFile)}`,
    '  rpz-log: yes',
    '  rpz-log-name: tizilim',
    '',
  ].join('\n');
}

export interface UnboundProcess {
  child: ChildProcess;
  confFile: string;
  /** Everything Unbound printed (it logs to stderr with -d and an empty logfile). */
  output(): string;
  /** Resolves once Unbound answers `probe` with `rcode` (or any rcode when omitted). */
  waitUntilAnswers(probe: string, rcode?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startUnbound(binary: string, o: UnboundOptions): UnboundProcess {
  const confFile = join(o.dir, 'unbound.conf');
  writeFileSync(confFile, unboundConf(o));
  const check = spawnSync(binary.replace(/unbound$/, 'unbound-checkconf'), [confFile], { encoding: 'utf8', timeout: 10_000 });
  if (check.status !== null && check.status !== 0 && !check.error) {
    throw new Error(`unbound-checkconf rejected ${confFile}:\n${check.stdout}${check.stderr}`);
  }
  const child = spawn(binary, ['-d', '-c', confFile], { cwd: o.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.once('error', (err) => { out += `\nspawn error: ${err.message}\n`; });
  // If the test process dies without afterAll, Unbound must not outlive it.
  const killOnExit = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    child,
    confFile,
    output: () => out,
    async waitUntilAnswers(probe, rcode, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`unbound exited (${child.exitCode ?? child.signalCode}) before answering:\n${out}`);
        }
        const got = await udpRcode(o.port, probe, 300);
        if (got !== undefined && (rcode === undefined || got === rcode)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`unbound did not answer ${probe} within ${timeoutMs} ms:\n${out}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

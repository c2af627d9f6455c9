import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * Child processes and temp dirs of a benchmark, cleaned up however the benchmark ends:
 * normal exit, a throw, Ctrl-C. Every child is killed by its own pid (and its own process
 * group when it was started detached), never by name.
 */
const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function killAll(signal: NodeJS.Signals): void {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try { process.kill(-c.pid, signal); } catch { /* not a group leader */ }
    try { c.kill(signal); } catch { /* gone */ }
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    killAll('SIGKILL');
    for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: stopping children\n`);
      process.exit(130);
    });
  }
}

export function trackDir(dir: string): string {
  hook();
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<void>;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. The whole process group when detached. */
  stop(graceMs?: number): Promise<void>;
}

export function startProc(cmd: string, args: string[], opts: SpawnOptions & { keepOutput?: number } = {}): Proc {
  hook();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  children.add(child);
  const keep = opts.keepOutput ?? 200_000;
  let out = '';
  const add = (d: Buffer): void => { out += d.toString(); if (out.length > keep) out = out.slice(-keep); };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => { children.delete(child); resolve(); });
    child.once('error', (err) => { out += `\nspawn error: ${err.message}\n`; children.delete(child); resolve(); });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid,
    output: () => out,
    exited,
    alive,
    async stop(graceMs = 5_000) {
      if (alive()) {
        if (opts.detached) { try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); } } else child.kill('SIGTERM');
      }
      const t = setTimeout(() => {
        if (opts.detached) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }
        child.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A port free for both TCP and UDP on 127.0.0.1 (bind to 0, check UDP, let both go). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port');
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

/** The pid and all its descendants (cluster workers, helpers), from /proc. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parent.get(ppid) ?? [];
      list.push(Number(d));
      parent.set(ppid, list);
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number): void => { out.push(p); for (const c of parent.get(p) ?? []) walk(c); };
  walk(root);
  return out;
}

/** utime and stime of one process in seconds (0 when it is gone). */
export function cpuTimes(pid: number): { user: number; sys: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is f[0], so utime (field 14) is f[11] and stime f[12].
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
  } catch {
    return { user: 0, sys: 0 };
  }
}

export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** CPU times per pid, for a later delta (pids that appear later count from zero). */
export function cpuSnapshot(pids: readonly number[]): Map<number, { user: number; sys: number }> {
  return new Map(pids.map((p) => [p, cpuTimes(p)]));
}

/** CPU seconds used since `before`, in total and split into user and kernel time. */
export function cpuDeltaSplit(before: Map<number, { user: number; sys: number }>, pids: readonly number[]): { total: number; user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const p of pids) {
    const now = cpuTimes(p);
    const b = before.get(p) ?? { user: 0, sys: 0 };
    user += now.user - b.user;
    sys += now.sys - b.sys;
  }
  return { total: user + sys, user, sys };
}

export function cpuDelta(before: Map<number, { user: number; sys: number }>, pids: readonly number[]): number {
  return cpuDeltaSplit(before, pids).total;
}

/** Resident set size of the processes, in MiB. */
export function rssMiB(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'latin1'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function loadAverage(): string {
  try { return readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' '); } catch { return '?'; }
}

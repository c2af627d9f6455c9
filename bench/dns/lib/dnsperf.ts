import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpuDeltaSplit, cpuSnapshot } from './procs.js';

const run = promisify(execFile);

export interface DnsperfOptions {
  port: number;
  file: string;
  /** -l: run at most this long. */
  seconds?: number;
  /** -n: passes over the file (warm-up); used instead of seconds when set. */
  passes?: number;
  clients?: number;
  outstanding?: number;
  /** -m: transport (udp when unset). */
  mode?: 'udp' | 'tcp' | 'dot';
}

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  runSeconds: number;
  avgLatencyMs: number;
  rcodes: Record<string, number>;
  /** dnsperf's own user+sys CPU seconds (from /usr/bin/time). */
  clientCpu: number;
  raw: string;
}

const num = (re: RegExp, s: string): number => Number(re.exec(s)?.[1] ?? NaN);

/** One bounded dnsperf run (UDP unless `mode`, 127.0.0.1 only), wrapped in /usr/bin/time for its own CPU. */
export async function dnsperf(o: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    '-f', '%U %S', '--',
    'dnsperf', '-s', '127.0.0.1', '-p', String(o.port), '-d', o.file, ...(o.mode ? ['-m', o.mode] : []),
    '-c', String(o.clients ?? 4), '-q', String(o.outstanding ?? 200), '-t', '2',
    ...(o.passes !== undefined ? ['-n', String(o.passes), '-l', '120'] : ['-l', String(o.seconds ?? 10)]),
  ];
  const { stdout, stderr } = await run('/usr/bin/time', args, { maxBuffer: 16 << 20, timeout: ((o.seconds ?? 120) + 30) * 1000 });
  const timeLine = stderr.trim().split('\n').pop() ?? '';
  const [u, s] = timeLine.split(' ').map(Number);
  const rcodes: Record<string, number> = {};
  const rc = /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '';
  for (const m of rc.matchAll(/([A-Z]+) (\d+)/g)) rcodes[m[1]!] = Number(m[2]);
  return {
    sent: num(/Queries sent:\s+(\d+)/, stdout),
    completed: num(/Queries completed:\s+(\d+)/, stdout),
    lost: num(/Queries lost:\s+(\d+)/, stdout),
    qps: num(/Queries per second:\s+([\d.]+)/, stdout),
    runSeconds: num(/Run time \(s\):\s+([\d.]+)/, stdout),
    avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/, stdout) * 1000,
    rcodes,
    clientCpu: (u ?? 0) + (s ?? 0),
    raw: stdout,
  };
}

export interface MeasuredRun extends DnsperfResult {
  serverCpu: number;
  /** The part of serverCpu spent in user space and in the kernel. */
  serverUser: number;
  serverSys: number;
  /** Answered queries per CPU-second of the server: QPS per busy server core. */
  qpsPerCore: number;
}

/** dnsperf while sampling the CPU time of every server process before and after. */
export async function measured(pids: () => number[], o: DnsperfOptions): Promise<MeasuredRun> {
  const before = cpuSnapshot(pids());
  const r = await dnsperf(o);
  const cpu = cpuDeltaSplit(before, pids());
  return { ...r, serverCpu: cpu.total, serverUser: cpu.user, serverSys: cpu.sys, qpsPerCore: cpu.total > 0 ? r.completed / cpu.total : NaN };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (bind to 0, read it, let it go). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildService {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs one of our TypeScript entry points as a real process, as `npm start` would. */
/**
 * Gateway listeners a test did not name get an ephemeral port (or none), so test files running
 * side by side never collide on a default port (DoT 8853, QUIC 8443, RPZ 5354).
 */
const GATEWAY_PORT_DEFAULTS: Record<string, string> = { DOT_PORT: '0', QUIC_PORT: '0', RPZ_XFR_PORT: 'off' };

export function startChild(entry: string, env: Record<string, string>): ChildService {
  const defaults = entry.includes('filter-gateway') ? GATEWAY_PORT_DEFAULTS : {};
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...defaults, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls a URL until it answers 200, or fails with what the process printed. */
export async function waitForOk(url: string, service: ChildService, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`process exited (${service.child.exitCode}) before ${url} was ready:\n${service.output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${service.output()}`);
}

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestRegister } from '../src/testing/test-register.js';

/** POSTs a dump as the raw bytes it is on disk, the way the import CLI does. */
export async function postDump(reg: TestRegister, bytes: Uint8Array, token: string, query = '', contentType = 'text/csv') {
  const res = await reg.app.inject({
    method: 'POST',
    url: `/v1/imports${query ? `?${query}` : ''}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    payload: Buffer.from(bytes),
  });
  return { status: res.statusCode, body: res.json() };
}

/** A small UTF-8 dump from data lines, with an Updated line first. */
export function dumpOf(lines: readonly string[], updated: string | null = '2026-11-01 09:00:00 +0500'): Uint8Array {
  return new TextEncoder().encode([...(updated === null ? [] : [`Updated: ${updated}`]), ...lines].join('\n') + '\n');
}

/**
 * A register-api process, as `npm start -w services/register-api` runs it. The same shape as
 * test/support/child-service.ts, which this project cannot import (that project references
 * this one, not the other way round).
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

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

export interface RegisterProcess {
  output(): string;
  stop(): Promise<void>;
}

export async function startRegisterProcess(env: Record<string, string>, readyUrl: string): Promise<RegisterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/register-api/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: RegisterProcess = {
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`register exited (${child.exitCode}) before it was ready:\n${out}`);
    try {
      if ((await fetch(readyUrl)).ok) return service;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await service.stop();
  throw new Error(`register not ready after 60 s:\n${out}`);
}

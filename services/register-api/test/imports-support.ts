import { REPO_ROOT, freePort, startChild, waitForOk, type ChildService } from '../src/testing/child-process.js';
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

/** A register-api process, as `npm start -w services/register-api` runs it, ready to serve. */
export async function startRegisterProcess(env: Record<string, string>, readyUrl: string): Promise<ChildService> {
  const service = startChild('services/register-api/src/main.ts', env);
  await waitForOk(readyUrl, service, 60_000);
  return service;
}

export { REPO_ROOT, freePort };
export type RegisterProcess = ChildService;

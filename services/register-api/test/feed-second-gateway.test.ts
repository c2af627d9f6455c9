import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

/**
 * Issue #10: a second gateway connecting logged "Reply was already sent". Real HTTP, two
 * gateways' worth of snapshot and long-poll requests, and the register's own log read back.
 */
const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
let reg: TestRegister;
let base: string;
beforeAll(async () => {
  reg = await startTestRegister({ logger: pino({ level: 'info' }, sink) });
  await enforce(apiClient(reg.app), reg, { resources: Array.from({ length: 300 }, (_, i) => `n${i}.second.example.kz`) });
  base = await reg.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => reg?.close());

const auth = () => ({ authorization: `Bearer ${reg.tokens.isp}` });

async function gatewayStart(gzip: boolean): Promise<{ version: number; count: number }> {
  const res = await fetch(`${base}/v1/feed/snapshot`, { headers: { ...auth(), ...(gzip ? { 'accept-encoding': 'gzip' } : {}) } });
  expect(res.status).toBe(200);
  const text = await res.text();
  const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as { version: number; count: number };
  expect(text.trimEnd().split('\n')).toHaveLength(header.count + 1);
  return header;
}

describe('a second gateway connecting', () => {
  it('gets the same snapshot and long-polls, and the register replies once per request', async () => {
    const first = await gatewayStart(true);
    const poll = fetch(`${base}/v1/feed/changes?since=${first.version}&wait=5`, { headers: auth() });
    // the second, while the first is long-polling: from the copy on disk, then concurrently
    const [second, third] = await Promise.all([gatewayStart(true), gatewayStart(false)]);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    await enforce(apiClient(reg.app), reg, { resources: ['later.second.example.kz'] });
    const page = (await (await poll).json()) as { to: number };
    expect(page.to).toBeGreaterThan(first.version);
    // a snapshot of the new version is derived from the copy of the old one
    await new Promise((r) => setTimeout(r, 200));
    const next = await gatewayStart(true);
    expect(next.count).toBe(first.count + 1);
    await Promise.all([gatewayStart(true), gatewayStart(true)]);
    const warnings = lines.filter((l) => /already sent|"level":(40|50|60)/.test(l));
    expect(warnings).toEqual([]);
  });
});

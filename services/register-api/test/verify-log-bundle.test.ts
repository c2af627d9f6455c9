import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { VERIFY_LOG_BUNDLE } from '../src/routes/tlog/verify-log-bundle-route.js';

let reg: TestRegister;
beforeAll(async () => {
  reg = await startTestRegister();
});
afterAll(async () => reg?.close());

describe('the one-file verify-log', () => {
  it('the committed bundle is what scripts/build-verify-log.mjs builds from the sources now', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { bundleVerifyLog } = (await import('../../../scripts/build-verify-log.mjs')) as { bundleVerifyLog: (out?: string) => Promise<{ outputFiles: { text: string }[] }> };
    const fresh = (await bundleVerifyLog(undefined)).outputFiles[0]!.text;
    const committed = await readFile(VERIFY_LOG_BUNDLE, 'utf8');
    expect(committed === fresh, 'services/register-api/bundle/verify-log.mjs is stale: run `npm run build:verify-log`').toBe(true);
    expect(committed).not.toMatch(/from ["'](?!node:)[^"']+["']/); // nothing to install: only Node's own modules
  });

  it('the register serves it at GET /tlog/verify-log.mjs', async () => {
    const res = await reg.app.inject({ method: 'GET', url: '/tlog/verify-log.mjs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/javascript');
    expect(res.body).toBe(await readFile(VERIFY_LOG_BUNDLE, 'utf8'));
  });
});

import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../../src/testing/test-register.js';
import { apiClient, courtRuling } from '../../src/testing/http.js';
import { launchChromium, listen } from './browser.js';

/**
 * "Verify in this browser" on /log, in Chromium, over a log of 10,000 entries made the way the
 * register makes them (ten approved decisions of 1,000 resources each): it succeeds, and after
 * one row is altered in the database (as its owner, past the append-only triggers) it names
 * exactly that entry as the first bad one.
 */
const DECISIONS = 10;
const PER_DECISION = 1000;
const TAMPERED = 7_777;

let reg: TestRegister;
let base: string;
let browser: Browser;

beforeAll(async () => {
  reg = await startTestRegister();
  const api = apiClient(reg.app);
  const basis = await api('POST', '/v1/legal-bases', reg.tokens.operator, courtRuling);
  for (let d = 0; d < DECISIONS; d++) {
    const resources = Array.from({ length: PER_DECISION }, (_, i) => `n${d * PER_DECISION + i}.verify.example.kz`);
    const draft = await api('POST', '/v1/decisions', reg.tokens.operator, { action: 'restrict', category: 'gambling', resources, legalBasisId: basis.body.id });
    expect(draft.status, JSON.stringify(draft.body).slice(0, 300)).toBe(201);
    const approved = await api('POST', `/v1/decisions/${draft.body.id}/approve`, reg.tokens.approver);
    expect(approved.status).toBe(200);
  }
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).body.seq).toBe(DECISIONS * PER_DECISION);
  base = await listen(reg.app);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await reg?.close();
});

async function verifyInBrowser(page: Page): Promise<{ result: string | null; firstBad: string | null; text: string | null }> {
  await page.goto(`${base}/log?lang=en`);
  await page.getByRole('button', { name: 'Verify the log' }).click();
  const status = page.locator('#verify-status');
  await status.and(page.locator('[data-result]')).waitFor({ timeout: 40_000 });
  return { result: await status.getAttribute('data-result'), firstBad: await status.getAttribute('data-first-bad-seq'), text: await status.textContent() };
}

describe(`verify in this browser, ${DECISIONS * PER_DECISION} entries`, () => {
  it('recomputes the chain and checks the signature: success, in words', async () => {
    const page = await (await browser.newContext()).newPage();
    const outcome = await verifyInBrowser(page);
    expect(outcome.result, outcome.text ?? '').toBe('ok');
    expect(outcome.text).toMatch(/^10,000 entries verified\. Head: entry 10,000, hash [0-9a-f]{64}\. Signed checkpoint at entry 10,000, signed by key [A-Za-z0-9+/]{43}=\.$/);
    await page.context().close();
  }, 50_000);

  it(`names entry ${TAMPERED} as the first bad one after its row is altered in the database`, async () => {
    // The owner can switch the append-only triggers off for this one statement; this is the
    // attack the chain exists to expose.
    await reg.database.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE public_log DISABLE TRIGGER ALL`.execute(trx);
      await sql`UPDATE public_log SET body = replace(body, '"gambling"', '"other"') WHERE seq = ${TAMPERED}`.execute(trx);
      await sql`ALTER TABLE public_log ENABLE TRIGGER ALL`.execute(trx);
    });
    const page = await (await browser.newContext()).newPage();
    const outcome = await verifyInBrowser(page);
    expect(outcome.result).toBe('bad');
    expect(outcome.firstBad).toBe(String(TAMPERED));
    expect(outcome.text).toBe(`The log does not verify. First bad entry: 7,777. Its hash does not match its content.`);
    await page.context().close();
  }, 50_000);
});

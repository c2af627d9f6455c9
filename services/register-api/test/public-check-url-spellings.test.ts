import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../src/testing/test-register.js';
import { apiClient } from '../src/testing/http.js';
import { enforce } from '../src/testing/register-fixtures.js';

/**
 * The public check holds a URL rule against every spelling origins treat alike (issue 14).
 * Rows recorded before the canonical form are covered by test/canonical-url-agreement.test.ts.
 */
let reg: TestRegister;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  reg = await startTestRegister();
  api = apiClient(reg.app);
  await enforce(api, reg, { resources: ['http://news.example.kz/articles/1'] });
});
afterAll(async () => reg?.close());

const check = async (name: string): Promise<{ restricted: boolean; matches: { resource: { value: string } }[] }> =>
  (await api('GET', `/public/v1/check?name=${encodeURIComponent(name)}`)).body;

describe('public check: URL spellings', () => {
  it('records the canonical form', async () => {
    const r = await check('http://news.example.kz/articles/1');
    expect(r.restricted).toBe(true);
    expect(r.matches[0]!.resource.value).toBe('http://news.example.kz/articles/1');
  });

  it.each([
    'http://news.example.kz//articles/1', 'http://news.example.kz/articles//1', 'http://news.example.kz/articles/./1',
    'http://news.example.kz/x/../articles/1', 'http://news.example.kz/articles%2F1', 'http://news.example.kz/%61rticles/%31',
    'http://news.example.kz/articles/1;x', 'http://news.example.kz/articles/1?', 'http://news.example.kz:80/articles/1',
    'http://news.example.kz./articles/1', 'http://NEWS.example.KZ/articles/1', 'https://news.example.kz/articles/1/',
    'http://news.example.kz/articles/1/comments?page=2',
  ])('%s is restricted', async (spelling) => {
    expect((await check(spelling)).restricted).toBe(true);
  });

  it('a different page is not (path case is kept)', async () => {
    expect((await check('http://news.example.kz/Articles/1')).restricted).toBe(false);
    expect((await check('http://news.example.kz/articles/10')).restricted).toBe(false);
  });
});

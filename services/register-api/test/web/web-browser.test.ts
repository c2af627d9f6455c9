import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegister, type TestRegister } from '../../src/testing/test-register.js';
import { apiClient } from '../../src/testing/http.js';
import { enforce } from '../../src/testing/register-fixtures.js';
import { launchChromium, listen } from './browser.js';

/**
 * The pages in a real browser (Debian's Chromium through playwright-core): a reader's journey,
 * the language switcher, JavaScript off, axe-core on every page, and screenshots of every page
 * at 1280 and 360 px. Set TIZILIM_SCREENSHOT_DIR=docs/screenshots to refresh the committed ones.
 */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SHOTS = process.env.TIZILIM_SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), 'tizilim-shots-'));

let reg: TestRegister;
let base: string;
let browser: Browser;
let entrySeq: number;

beforeAll(async () => {
  reg = await startTestRegister();
  const api = apiClient(reg.app);
  const first = await enforce(api, reg, { resources: ['*.Пример.kz', 'casino.example.kz', '203.0.113.0/24'], category: 'gambling' });
  await enforce(api, reg, { resources: ['https://news.example.kz/articles/banned'], category: 'extremism' });
  await enforce(api, reg, { resources: ['https://hidden.example.kz/secret/page?id=1'], category: 'child_sexual_abuse' });
  // A suspension that is later restored, so a resource has a history of more than one span.
  const suspended = await enforce(api, reg, { action: 'suspend', resources: ['paused.example.kz'], category: 'unregistered_platform', effectiveUntil: new Date(Date.now() + 30 * 86_400_000).toISOString() });
  await enforce(api, reg, { action: 'restore', resources: ['paused.example.kz'], category: 'unregistered_platform', legalBasisId: suspended.legalBasisId });
  entrySeq = first.logEntries[1]!;
  const platform = await api('POST', '/v1/platforms', reg.tokens.operator, { name: 'Example Video', domains: ['video.example.com'], country: 'SG', dailyAudience: 2_000_000, registrationDeadline: '2025-01-01' });
  expect(platform.status).toBe(201);
  const isp = await api('POST', '/v1/isps', reg.tokens.admin, { name: 'Example Telecom', contact: 'noc@isp.example.kz' });
  const token = await api('POST', `/v1/isps/${isp.body.id}/tokens`, reg.tokens.admin, { name: 'dns cluster' });
  expect((await api('POST', '/v1/gateways/heartbeat', token.body.token, { gatewayId: 'edge-1', version: 3, rules: 5, counters: { blocked: 0, forwarded: 0 } })).status).toBe(200);
  expect((await api('POST', '/v1/log/checkpoints', reg.tokens.auditor)).status).toBe(200);
  base = await listen(reg.app);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await reg?.close();
});

const pages = () => [
  ['home', '/'],
  ['search', '/search?q=casino.example.kz'],
  ['entry', `/log/${entrySeq}`],
  ['resource', `/resources/${encodeURIComponent('paused.example.kz')}`],
  ['stats', '/stats'],
  ['platforms', '/platforms'],
  ['enforcement', '/enforcement'],
  ['log', '/log'],
  ['bad-input', `/search?q=${encodeURIComponent('<script>alert(1)</script>')}`],
] as const;

async function newPage(options: { javaScriptEnabled?: boolean; bypassCSP?: boolean; width?: number; locale?: string } = {}): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    bypassCSP: options.bypassCSP ?? false,
    viewport: { width: options.width ?? 1280, height: 900 },
    locale: options.locale ?? 'en-GB',
  });
  return context.newPage();
}

describe('a reader in Chromium', () => {
  it('searches, opens the entry, the resource, then the statistics', async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${base}/`);
    await page.getByLabel('Name, URL or IP address').fill('deep.sub.пример.kz');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForURL(/\/search\?q=/);
    await expect.poll(() => page.locator('.verdict').textContent()).toBe('Yes: restricted now.');
    await page.locator('table a[href^="/log/"]').first().click();
    await page.waitForURL(/\/log\/\d+$/);
    expect(await page.locator('h1').textContent()).toMatch(/^Log entry \d+$/);
    expect(await page.locator('main').textContent()).toContain('xn--e1afmkfd.kz');
    await page.getByRole('link', { name: 'Timeline of this resource' }).click();
    await page.waitForURL(/\/resources\//);
    expect(await page.locator('h1').textContent()).toBe('Timeline of *.пример.kz');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Statistics' }).click();
    await page.waitForURL(/\/stats$/);
    expect(await page.locator('table').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(3);
    // Nothing was refused by the CSP, no script failed.
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('switches language with the switcher, and the choice follows the links', async () => {
    const page = await newPage({ locale: 'en-GB' });
    await page.goto(`${base}/log/${entrySeq}`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.getByRole('navigation', { name: 'Language' }).getByRole('link', { name: 'Русский' }).click();
    await page.waitForURL(/lang=ru/);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    expect(await page.locator('h1').textContent()).toBe(`Запись журнала ${entrySeq}`);
    expect(await page.locator('main').textContent()).toMatch(/\d{4} г\./);
    await page.getByRole('navigation', { name: 'Основное меню' }).getByRole('link', { name: 'Статистика' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    await page.getByRole('navigation', { name: 'Язык' }).getByRole('link', { name: 'Қазақша' }).click();
    expect(await page.locator('h1').textContent()).toBe('Статистика');
    expect(await page.getAttribute('html', 'lang')).toBe('kk');
    await page.context().close();
  });

  it('with JavaScript off, the entry page still shows the entry (and the EDE URL opens it)', async () => {
    const page = await newPage({ javaScriptEnabled: false });
    const res = await page.goto(`${base}/public/v1/log/${entrySeq}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    const main = await page.locator('main').textContent();
    expect(main).toContain('casino.example.kz');
    expect(main).toContain('7194-26-00-4/1123');
    await page.goto(`${base}/log`);
    expect(await page.locator('#verify-button').isVisible()).toBe(false);
    await page.context().close();
  });

  it('bad input is shown escaped on a 400 page, never run', async () => {
    const page = await newPage();
    let dialog = false;
    page.on('dialog', (d) => { dialog = true; void d.dismiss(); });
    const res = await page.goto(`${base}/search?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(res?.status()).toBe(400);
    expect(await page.getByLabel('Name, URL or IP address').inputValue()).toBe('<script>alert(1)</script>');
    expect(await page.locator('main script').count()).toBe(0);
    const notFound = await page.goto(`${base}/log/123456789`);
    expect(notFound?.status()).toBe(404);
    expect(dialog).toBe(false);
    await page.context().close();
  });
});

describe('accessibility (axe-core, WCAG 2.2 A and AA)', () => {
  it.each(['en', 'kk', 'ru'])('no critical, serious or moderate violation on any page in %s', async (lang) => {
    const page = await newPage({ bypassCSP: true });
    const found: string[] = [];
    {
      for (const [name, path] of pages()) {
        await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
        await page.addScriptTag({ path: AXE });
        // A string, not a function: this package type-checks without the DOM library.
        const violations = await page.evaluate<{ id: string; impact: string; targets: string[] }[]>(`
          axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
            .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`);
        // The goal is no serious or critical violation; moderate ones are held to as well.
        for (const v of violations) if (v.impact !== 'minor') found.push(`${lang} ${name}: ${v.id} (${v.impact}) at ${v.targets.join(', ')}`);
      }
    }
    expect(found).toEqual([]);
    await page.context().close();
  }, 120_000);
});

describe('screenshots and the 360 px layout', () => {
  it('at 1280 px the wide tables show every column without scrolling, in every language', async () => {
    const page = await newPage({ width: 1280 });
    const hidden: string[] = [];
    for (const lang of ['kk', 'ru', 'en']) {
      for (const path of ['/platforms', '/enforcement', '/stats']) {
        await page.goto(`${base}${path}?lang=${lang}`);
        const over = await page.evaluate<number[]>('[...document.querySelectorAll(".scroll")].map((e) => e.scrollWidth - e.clientWidth)');
        if (over.some((px) => px > 0)) hidden.push(`${path}?lang=${lang}: ${over.join(', ')} px`);
      }
    }
    expect(hidden).toEqual([]);
    await page.context().close();
  });


  it.each([1280, 360])('every page at %i px, without sideways scrolling', async (width) => {
    mkdirSync(SHOTS, { recursive: true });
    const page = await newPage({ width });
    const overflowing: string[] = [];
    for (const [name, path] of pages()) {
      await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=en`);
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
      // Wide tables scroll inside their own region; the page itself must not.
      const [scrollWidth, innerWidth] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, window.innerWidth]');
      if (scrollWidth > innerWidth) overflowing.push(`${name}: ${scrollWidth}px in ${innerWidth}px`);
    }
    expect(overflowing).toEqual([]);
    // The type-ahead list, open under the home page's search box.
    await page.goto(`${base}/?lang=en`);
    await openSuggestions(page, '#q', 'ca');
    await page.screenshot({ path: join(SHOTS, `typeahead-${width}.png`), fullPage: false });
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.context().close();
  });

  it('at 360 px wide tables are stacked cards, each value labelled by its column', async () => {
    const page = await newPage({ width: 360 });
    await page.goto(`${base}/search?q=casino.example.kz&lang=en`);
    expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('table.cards tbody tr td:nth-child(2)'), '::before').content`)).toBe('"Resource"');
    expect(await page.evaluate<number>(`document.querySelector('table.cards thead').getBoundingClientRect().right`)).toBeLessThan(0);
    await page.context().close();
  });

  // Chromium's own accessibility tree (not Playwright's role guess from the markup). Chromium keeps
  // a table's semantics under display:block/grid by itself; WebKit (Safari, VoiceOver on phones)
  // drops them, which is why the markup carries explicit roles (cards-table.ts, its own test).
  // This checks the cards layout leaves a table, its headers and every cell in the tree.
  it.each(['/search?q=casino.example.kz', '/resources/paused.example.kz', '/stats', '/platforms', '/enforcement'])(
    'at 360 px the cards on %s are still a table to a screen reader: rows, column headers, cells',
    async (path) => {
      const page = await newPage({ width: 360 });
      await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}lang=en`);
      expect(await page.evaluate<string>(`getComputedStyle(document.querySelector('table.cards tbody tr')).display`)).toBe('block');
      const cdp = await page.context().newCDPSession(page);
      const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value?: string }; ignored?: boolean }[] };
      const roles = new Map<string, number>();
      for (const n of nodes) if (!n.ignored && n.role?.value) roles.set(n.role.value, (roles.get(n.role.value) ?? 0) + 1);
      const cells = await page.locator('table.cards td').count();
      expect(roles.get('table') ?? 0).toBeGreaterThanOrEqual(1);
      expect(roles.get('columnheader') ?? 0).toBeGreaterThanOrEqual(2);
      expect(roles.get('row') ?? 0).toBeGreaterThanOrEqual(2);
      expect(roles.get('cell') ?? 0).toBeGreaterThanOrEqual(cells);
      await page.context().close();
    },
  );
});

/** Types into a search box and waits for the type-ahead list to show. */
async function openSuggestions(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).click();
  await page.locator(selector).pressSequentially(text, { delay: 20 });
  await page.locator(`${selector}-suggestions`).waitFor({ state: 'visible' });
}

describe('type-ahead (WAI-ARIA 1.2 combobox)', () => {
  it('type a prefix, the list appears and is announced; arrow and Enter open the entry', async () => {
    const page = await newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(`${base}/`);
    const box = page.getByRole('combobox', { name: 'Name, URL or IP address' });
    expect(await box.getAttribute('aria-expanded')).toBe('false');
    await openSuggestions(page, '#q', 'casi');
    expect(await box.getAttribute('aria-expanded')).toBe('true');
    expect(await box.getAttribute('aria-controls')).toBe('q-suggestions');
    const options = page.getByRole('listbox').getByRole('option');
    expect(await options.allTextContents()).toEqual(['casino.example.kzdomain name']);
    await expect.poll(() => page.locator('.ta [role="status"]').textContent()).toMatch(/^Suggestions: 1\./);
    await box.press('ArrowDown');
    expect(await box.getAttribute('aria-activedescendant')).toBe('q-suggestion-0');
    expect(await options.first().getAttribute('aria-selected')).toBe('true');
    await box.press('Enter');
    await page.waitForURL(/\/log\/\d+$/);
    expect(await page.locator('main').textContent()).toContain('casino.example.kz');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('on /search: IDN by its Unicode form, arrows wrap, Escape closes, the language is kept', async () => {
    const page = await newPage({ locale: 'ru-RU' });
    await page.goto(`${base}/search?lang=ru`);
    const box = page.locator('#f-q');
    await openSuggestions(page, '#f-q', 'ПРИ');
    // Scoped to the list box: the filters' <select> elements hold options too.
    const option = page.getByRole('listbox').getByRole('option');
    expect(await option.count()).toBe(1);
    expect(await option.first().textContent()).toContain('*.пример.kz');
    expect(await option.first().textContent()).toContain('xn--e1afmkfd.kz');
    await expect.poll(() => page.locator('.ta [role="status"]').textContent()).toMatch(/^Подсказок: 1\./);
    expect(await page.getByRole('listbox').getAttribute('aria-label')).toBe('Подсказки');
    await box.press('Escape');
    expect(await box.getAttribute('aria-expanded')).toBe('false');
    expect(await box.getAttribute('aria-activedescendant')).toBeNull();
    await box.press('ArrowUp');
    expect(await box.getAttribute('aria-expanded')).toBe('true');
    expect(await box.getAttribute('aria-activedescendant')).toBe('f-q-suggestion-0');
    await box.press('Enter');
    await page.waitForURL(/\/log\/\d+\?lang=ru$/);
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    await page.context().close();
  });

  it('never offers a URL of a sensitive category; nothing matching is announced; Enter without a choice submits the form', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    const status = page.locator('.ta [role="status"]');
    // hidden.example.kz is restricted only by a URL of a sensitive category: nothing to offer.
    await page.locator('#q').pressSequentially('hidden', { delay: 10 });
    await expect.poll(() => status.textContent()).toBe('No restriction in force starts with “hidden”');
    expect(await page.locator('#q-suggestions').textContent()).not.toContain('secret');
    expect(await page.locator('#q-suggestions').isVisible()).toBe(false);
    await page.locator('#q').fill('');
    await page.locator('#q').pressSequentially('zzz-none', { delay: 10 });
    await expect.poll(() => status.textContent()).toBe('No restriction in force starts with “zzz-none”');
    expect(await page.locator('#q').getAttribute('aria-expanded')).toBe('false');
    await page.locator('#q').press('Enter');
    await page.waitForURL(/\/search\?q=zzz-none/);
    await page.context().close();
  });

  it('with JavaScript off the search box is a plain form field', async () => {
    const page = await newPage({ javaScriptEnabled: false });
    await page.goto(`${base}/`);
    expect(await page.locator('#q').getAttribute('role')).toBeNull();
    await page.locator('#q').fill('casino.example.kz');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForURL(/\/search\?q=casino/);
    expect(await page.locator('.verdict').textContent()).toBe('Yes: restricted now.');
    await page.context().close();
  });

  it.each(['en', 'kk', 'ru'])('axe finds no serious or critical violation with the list open (%s)', async (lang) => {
    const page = await newPage({ bypassCSP: true });
    for (const [path, selector] of [['/', '#q'], ['/search', '#f-q']] as const) {
      await page.goto(`${base}${path}?lang=${lang}`);
      await openSuggestions(page, selector, 'ca');
      await page.locator(selector).press('ArrowDown');
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate<{ id: string; impact: string; targets: string[] }[]>(`
        axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
          .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`);
      expect(violations.filter((v) => v.impact !== 'minor').map((v) => `${path}: ${v.id} (${v.impact}) at ${v.targets.join(', ')}`)).toEqual([]);
      // Still open after the scan: what was checked is the list, not a closed box.
      expect(await page.locator(selector).getAttribute('aria-expanded')).toBe('true');
    }
    await page.context().close();
  }, 30_000);
});

/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactsDir, launchBrowser, seriousAxeViolations, startPortal, type AxeViolation, type PortalProcess } from './browser';

/**
 * axe-core (WCAG 2.2 AA tags) on every public page type in chromium: zero serious or critical
 * violations. Pages are checked as rendered, after govuk-frontend's JavaScript ran. The context
 * bypasses CSP only so axe can be injected; the XSS suite checks the CSP itself.
 */

let portal: PortalProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const outDir = path.join(artifactsDir, 'accessibility');

before(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  portal = await startPortal();
  browser = await launchBrowser();
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

const report: Array<{ name: string; url: string; status: number; violations: AxeViolation[] }> = [];

async function check(name: string, url: string, expectStatus = 200): Promise<void> {
  const res = await page.goto(portal.url + url);
  const status = res?.status() ?? 0;
  assert.equal(status, expectStatus, `${url} answered ${status}`);
  const violations = await seriousAxeViolations(page);
  report.push({ name, url, status, violations });
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  assert.deepEqual(violations, [], `${name} (${url}) has serious or critical accessibility violations:\n${JSON.stringify(violations, null, 2)}`);
}

const publicPages: Array<[name: string, url: string, status?: number]> = [
  ['home', '/'],
  ['search-facets-pagination', '/datasets?per_page=3&page=2'],
  ['search-query', '/datasets?q=air+quality'],
  ['search-filtered', '/datasets?publisher=environmental-health&sort=title'],
  ['search-no-results', '/datasets?q=zzzqqqnothing'],
  ['dataset', '/datasets/air-quality-hourly'],
  ['release', '/datasets/air-quality-hourly/releases/1'],
  ['publishers', '/publishers'],
  ['publisher', '/publishers/environmental-health'],
  ['themes', '/themes'],
  ['theme', '/themes/environment'],
  ['about-privacy', '/about/privacy'],
  ['not-found', '/no-such-page', 404],
  ['bad-request', '/datasets?page=0', 400],
  ['api-docs', '/api'],
  ['sign-in', '/sign-in'],
  ['register', '/register'],
];

for (const [name, url, status] of publicPages) {
  test(`axe: ${name} (${url})`, async () => {
    await check(name, url, status ?? 200);
  });
}

test('the search page really has facets and pagination (so axe saw them)', async () => {
  await page.goto(portal.url + '/datasets?per_page=3&page=2');
  assert.equal(await page.locator('.govuk-pagination').count(), 1, 'pagination rendered');
  assert.ok(await page.locator('.govuk-pagination__prev').count(), 'previous link');
  assert.ok(await page.locator('.govuk-pagination__next').count(), 'next link');
  assert.ok((await page.locator('.govuk-checkboxes__input').count()) > 3, 'facet checkboxes rendered');
});

test('axe itself works here: it catches a planted violation', async () => {
  await page.goto(portal.url + '/about/privacy');
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = '/favicon.ico';
    document.querySelector('main')!.append(img);
  });
  const violations = await seriousAxeViolations(page);
  assert.ok(violations.some((v) => v.id === 'image-alt'), 'an image without alt text is reported');
});

test('axe: register with errors, then the signed-in account and token pages', async () => {
  await page.goto(portal.url + '/register');
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal(await page.locator('.govuk-error-summary').count(), 1, 'error summary shown');
  const violations = await seriousAxeViolations(page);
  report.push({ name: 'register-errors', url: '/register (POST, empty)', status: 400, violations });
  await page.screenshot({ path: path.join(outDir, 'register-errors.png'), fullPage: true });
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

  const email = `a11y-${Date.now()}@example.org`;
  const password = 'correct horse battery staple a11y';
  await page.getByLabel('Your name').fill('Axe Tester');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Create a password').fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.goto(portal.url + '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account/);
  await check('account', '/account');
  await check('account-tokens', '/account/tokens');
});

after(() => {
  const lines = report.map((r) => `${r.violations.length ? 'FAIL' : 'ok  '} ${r.name.padEnd(26)} ${String(r.status).padEnd(4)} ${r.url}${r.violations.length ? ' ' + r.violations.map((v) => `${v.id}(${v.impact})`).join(', ') : ''}`);
  fs.writeFileSync(path.join(outDir, 'axe-report.txt'), lines.join('\n') + '\n');
  console.log(`axe (${'wcag2a wcag2aa wcag21a wcag21aa wcag22aa'}): ${report.length} pages\n${lines.join('\n')}`);
});

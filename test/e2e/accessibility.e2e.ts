/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { artifactsDir, launchBrowser, seriousAxeViolations, startPortal, type AxeViolation, type PortalProcess } from './browser';
import { addAdmin, addStewards, signIn } from './steward-accounts';

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
  portal = await startPortal({}, {
    prepare: async (db) => {
      await addStewards(db, [
        { email: 'a11y-steward@anytown.example', publishers: ['revenues-and-benefits', 'environmental-health', 'anytown-energy-partnership'] },
        { email: 'a11y-reviewer@anytown.example', publishers: ['revenues-and-benefits'] },
      ]);
      await addAdmin(db, 'a11y-admin@anytown.example');
    },
  });
  browser = await launchBrowser();
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

const report: Array<{ name: string; url: string; status: number; violations: AxeViolation[] }> = [];

async function check(name: string, url: string, expectStatus = 200, on: Page = page): Promise<void> {
  const res = await on.goto(portal.url + url);
  const status = res?.status() ?? 0;
  assert.equal(status, expectStatus, `${url} answered ${status}`);
  const violations = await seriousAxeViolations(on);
  report.push({ name, url, status, violations });
  await on.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
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
  ['streams', '/streams'],
  ['stream-live', '/streams/air-quality-live'],
  ['stream-personal', '/streams/household-energy-live'],
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

test('axe: the steward\'s release policy editor, as it opens and with errors', async () => {
  const steward = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(steward, portal.url, 'a11y-steward@anytown.example');
  await check('manage-policy-editor', '/manage/datasets/housing-benefit-claims/policy', 200, steward);
  await steward.locator('#v_3').fill('65, 18');
  await steward.getByRole('button', { name: 'Save policy', exact: true }).click();
  assert.equal(await steward.locator('.govuk-error-summary').count(), 1, 'error summary shown');
  const violations = await seriousAxeViolations(steward);
  report.push({ name: 'manage-policy-errors', url: '/manage/datasets/housing-benefit-claims/policy (POST)', status: 400, violations });
  await steward.screenshot({ path: path.join(outDir, 'manage-policy-errors.png'), fullPage: true });
  assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
  await steward.context().close();
});

/** axe on the page as it is now (reached by a click or a form), recorded under `name`. */
async function checkHere(name: string, on: Page, what: string, status = 200): Promise<void> {
  const violations = await seriousAxeViolations(on);
  report.push({ name, url: what, status, violations });
  await on.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  assert.deepEqual(violations, [], `${name} (${what}) has serious or critical accessibility violations:\n${JSON.stringify(violations, null, 2)}`);
}

/** A signed-in page in a context that bypasses CSP (for axe). */
async function signedIn(email: string): Promise<Page> {
  const p = await (await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(p, portal.url, email);
  return p;
}

const hb = '/manage/datasets/housing-benefit-claims';
/** What axe found on the preview progress page while the preview ran (null: the page was not caught running). */
let progressViolations: AxeViolation[] | null = null;

test('axe: the steward\'s manage pages, and a release through draft, preview, progress, review and approval', async () => {
  const a = await signedIn('a11y-steward@anytown.example');
  await check('manage-datasets', '/manage/datasets', 200, a);
  await check('manage-dataset', hb, 200, a);
  await check('manage-classification', `${hb}/classification`, 200, a);
  await check('manage-upload', `${hb}/upload`, 200, a);
  await check('manage-sources', `${hb}/sources`, 200, a);
  await check('manage-source', `${hb}/sources/1`, 200, a);
  await check('manage-streams', '/manage/streams', 200, a);
  await check('manage-stream', '/manage/streams/air-quality-live', 200, a);
  await check('manage-stream-personal', '/manage/streams/household-energy-live', 200, a);
  await check('manage-stream-new', '/manage/streams/new', 200, a);
  await a.getByRole('button', { name: 'Define the stream', exact: true }).click();
  await a.waitForURL(/\/manage\/streams$/);
  assert.equal(await a.locator('.govuk-error-summary').count(), 1, 'error summary shown');
  await checkHere('manage-stream-new-errors', a, '/manage/streams (POST, empty form)', 400);
  await check('manage-stream-policy', '/manage/streams/air-quality-live/policy', 200, a);
  await check('manage-stream-policy-personal', '/manage/streams/household-energy-live/policy', 200, a);
  await check('manage-reviews-empty', '/manage/reviews', 200, a);

  // Saving the policy opens a draft release: the release page before any preview.
  await a.goto(portal.url + `${hb}/policy`);
  await a.getByRole('button', { name: 'Save policy', exact: true }).click();
  await a.waitForURL(new RegExp(`${hb}/release$`));
  await checkHere('manage-release-draft', a, `${hb}/release (draft, no preview)`);

  // The progress page as the server renders it while the preview runs: started and fetched
  // with the page's own cookies, then shown in the browser exactly as served.
  const csrf = await a.locator('form[action$="/release/preview"] input[name="_csrf"]').inputValue();
  const started = await a.request.post(portal.url + `${hb}/release/preview`, { form: { _csrf: csrf }, maxRedirects: 0 });
  assert.equal(started.status(), 303, 'the preview starts');
  const jobUrl = new URL(started.headers()['location'], portal.url).href;
  const progress = await a.request.get(jobUrl, { maxRedirects: 0 });
  if (progress.status() === 200) {
    const html = await progress.text();
    assert.match(html, /refreshes itself|could not be made/, 'a running (or failed) preview page');
    await a.route(jobUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    // The page polls its .json twin and reloads when the preview is done: hold it "running" while axe looks.
    await a.route(jobUrl + '.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ state: 'running', progress: { phase: 'applying', done: 0, total: 1 } }) }));
    await a.goto(jobUrl);
    // Checked here, asserted in its own test below (so a failure names the page): see progressViolations.
    progressViolations = await seriousAxeViolations(a);
    report.push({ name: 'manage-preview-progress', url: `${hb}/release/preview/:job (running, as served)`, status: 200, violations: progressViolations });
    await a.screenshot({ path: path.join(outDir, 'manage-preview-progress.png'), fullPage: true });
    await a.unroute(jobUrl);
    await a.unroute(jobUrl + '.json');
  } else {
    // The preview finished before the page was fetched: record that the progress page was not seen.
    report.push({ name: 'manage-preview-progress', url: `${hb}/release/preview/:job (finished too fast: ${progress.status()})`, status: progress.status(), violations: [] });
  }
  // The job page itself (it redirects to the release page with the preview once done).
  await a.goto(jobUrl);
  await a.waitForURL(/release\?done=preview/, { timeout: 120_000 });
  assert.ok((await a.locator('#preview-rows tbody tr').count()) > 0, 'preview rows shown');
  await checkHere('manage-release-preview', a, `${hb}/release?done=preview (preview, gate verdict)`);

  await a.locator('#notes').fill('Accessibility check release.');
  await a.locator('#submit-release').click();
  await a.waitForURL(/release\?done=submit/);
  await checkHere('manage-release-in-review', a, `${hb}/release (in review, submitter)`);
  await check('manage-reviews-own', '/manage/reviews', 200, a);

  const b = await signedIn('a11y-reviewer@anytown.example');
  await check('manage-reviews', '/manage/reviews', 200, b);
  await check('manage-release-review', `${hb}/release`, 200, b);
  await b.locator('#approve-release').click();
  await b.waitForURL(/release\?done=approve/);
  await checkHere('manage-release-approved', b, `${hb}/release (approved)`);
  // A refused action (submitting what is already approved) shows the error summary on the release page.
  await a.goto(portal.url + `${hb}/release`);
  await Promise.all([
    a.waitForNavigation(),
    a.evaluate((action) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      const token = document.querySelector<HTMLInputElement>('input[name="_csrf"]')!.cloneNode() as HTMLInputElement;
      form.append(token);
      document.body.append(form);
      form.submit();
    }, `${hb}/release/submit`),
  ]);
  assert.equal(await a.locator('.govuk-error-summary').count(), 1, 'error summary shown');
  await checkHere('manage-release-error', a, `${hb}/release/submit (POST, refused)`, 409);
  await b.context().close();
  await a.context().close();
});

// The progress page keeps itself current by polling its .json twin from public/preview-progress.js;
// the <meta http-equiv="refresh"> that axe rates critical (WCAG 2.2.1: a timed refresh the user
// cannot stop) is only inside <noscript>, for browsers without JavaScript.
test('axe: the preview progress page, while the preview runs', () => {
  assert.ok(progressViolations, 'the progress page was caught while the preview ran');
  assert.deepEqual(progressViolations, [], JSON.stringify(progressViolations, null, 2));
});

test('axe: the admin\'s pages: users, a new account, the audit log and its checkpoints', async () => {
  const admin = await signedIn('a11y-admin@anytown.example');
  await check('admin-users', '/admin/users', 200, admin);
  await check('admin-users-new', '/admin/users/new', 200, admin);
  await admin.getByRole('button', { name: 'Create account' }).click();
  assert.equal(await admin.locator('.govuk-error-summary').count(), 1, 'error summary shown');
  await checkHere('admin-users-new-errors', admin, '/admin/users (POST, empty)', 400);
  await admin.getByLabel('Email address').fill('a11y-new-steward@anytown.example');
  await admin.getByLabel('Name', { exact: true }).fill('New Steward');
  await admin.locator('#role-steward').check();
  await admin.getByLabel('Revenues and Benefits').check();
  await admin.getByRole('button', { name: 'Create account' }).click();
  await admin.locator('#link').waitFor();
  await checkHere('admin-user-created', admin, '/admin/users (POST): account created', 201);
  await admin.getByRole('link', { name: 'View the account' }).click();
  await admin.waitForURL(/\/admin\/users\/\d+$/);
  await checkHere('admin-user', admin, '/admin/users/:id');
  await check('audit', '/audit', 200, admin);
  await check('audit-filtered', '/audit?action=release.*&dataset=housing-benefit-claims', 200, admin);
  await check('audit-empty', '/audit?dataset=no-such-dataset', 200, admin);
  await admin.goto(portal.url + '/audit');
  await admin.getByRole('button', { name: 'Verify the whole chain now' }).click();
  await admin.waitForURL(/\/audit$/);
  await checkHere('audit-verified', admin, '/audit (after verification)');
  await check('audit-checkpoints', '/audit/checkpoints', 200, admin);
  await admin.context().close();
});

after(() => {
  const lines = report.map((r) => `${r.violations.length ? 'FAIL' : 'ok  '} ${r.name.padEnd(26)} ${String(r.status).padEnd(4)} ${r.url}${r.violations.length ? ' ' + r.violations.map((v) => `${v.id}(${v.impact})`).join(', ') : ''}`);
  fs.writeFileSync(path.join(outDir, 'axe-report.txt'), lines.join('\n') + '\n');
  console.log(`axe (${'wcag2a wcag2aa wcag21a wcag21aa wcag22aa'}): ${report.length} pages\n${lines.join('\n')}`);
});

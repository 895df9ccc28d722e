/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';
import { assertCsvEqualsRelease, assertJsonEqualsRelease, checkHowThisDataWasProtected, readPublishedRelease, recordProblems, screenshot } from './journeys';

/**
 * The researcher journey in chromium (issue 9 §1): register at /register, sign in, create an API
 * token on the account pages (shown once), call the REST API with it from outside the browser
 * (it is really the token that authenticates: the token's own rate limit, `authenticatedBy`, a
 * wrong token refused), find a protected release through the API, download it as JSON in the
 * browser — and the file equals the release: the JSON the API links to, the CSV it serves for the
 * same version, and the release table in the database.
 */

let portal: PortalProcess;
let browser: Browser;
const outDir = path.join(artifactsDir, 'researcher');
const slug = 'housing-benefit-claims';

before(async () => {
  portal = await startPortal();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

/** The limit a draft-7 `RateLimit-Policy` header states (`300;w=60` → 300). */
const policyLimit = (res: Response) => Number(/^(\d+)/.exec(res.headers.get('ratelimit-policy') ?? '')?.[1]);

test('researcher: register → sign in → create a token → call the API with it → download JSON equal to the release', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  recordProblems(page, problems);

  // Register.
  const email = `researcher-${Date.now()}@university.example`;
  const password = 'correct horse battery staple research';
  await page.goto(portal.url + '/');
  await page.goto(portal.url + '/register');
  await page.getByLabel('Your name').fill('Rosa Researcher');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Create a password').fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await screenshot(page, outDir, '01-register');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await screenshot(page, outDir, '02-registered');

  // Sign in.
  await page.locator('main').getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account$/);
  const account = (await page.locator('main').textContent()) ?? '';
  assert.ok(account.includes(email), 'the account page shows the email address');
  assert.match(account, /researcher/);
  await screenshot(page, outDir, '03-account');

  // Create a token: shown once.
  await page.locator('main').getByRole('link', { name: 'API tokens' }).click();
  await page.waitForURL(/\/account\/tokens$/);
  assert.match((await page.locator('main').textContent()) ?? '', /You have no API tokens/);
  await page.getByLabel('Name').fill('thesis scripts');
  await screenshot(page, outDir, '04-tokens');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.locator('#token').waitFor();
  const token = await page.locator('#token').inputValue();
  assert.match(token, /^plz_\S{20,}$/, 'a plz_ token is shown');
  assert.match((await page.locator('main').textContent()) ?? '', /It will not be shown again/);
  await screenshot(page, outDir, '05-token-created');
  await screenshot(page, outDir, 'api-token', { readme: true, viewport: true });
  await page.getByRole('link', { name: 'Back to your tokens' }).click();
  await page.waitForURL(/\/account\/tokens$/);
  const listed = await page.content();
  assert.ok(!listed.includes(token), 'the token list never shows the secret again');
  assert.match((await page.locator('main table').textContent()) ?? '', /thesis scripts[\s\S]*Active[\s\S]*/);
  assert.match((await page.locator('main table tbody tr').first().textContent()) ?? '', /Never/, 'not used yet');

  // Call the API with the token, from outside the browser.
  const bearer = { Authorization: `Bearer ${token}` };
  const me = await fetch(`${portal.url}/account.json`, { headers: bearer });
  assert.equal(me.status, 200);
  const meJson = (await me.json()) as { email: string; role: string; authenticatedBy: string };
  assert.deepEqual({ email: meJson.email, role: meJson.role, authenticatedBy: meJson.authenticatedBy }, { email, role: 'researcher', authenticatedBy: 'token' });
  const wrong = await fetch(`${portal.url}/api/v1/datasets?q=housing+benefit`, { headers: { Authorization: `Bearer ${token.slice(0, -4)}xxxx` } });
  assert.equal(wrong.status, 401, 'a wrong token is refused, not treated as anonymous');

  const search = await fetch(`${portal.url}/api/v1/datasets?q=housing+benefit`, { headers: bearer });
  assert.equal(search.status, 200);
  const anonymous = await fetch(`${portal.url}/api/v1/datasets?q=housing+benefit`);
  assert.ok(policyLimit(search) > policyLimit(anonymous), `the token's own, higher rate limit applies (${policyLimit(search)} > ${policyLimit(anonymous)})`);
  const found = (await search.json()) as { data: Array<{ slug: string; links: { html: string; releases: string } }>; meta: { total: number } };
  const hit = found.data.find((d) => d.slug === slug);
  assert.ok(hit, `the API search finds ${slug}`);
  const releases = (await (await fetch(hit.links.releases, { headers: bearer })).json()) as { data: Array<{ version: number; status: string; links: { csv: string; json: string } }> };
  const latest = releases.data.find((r) => r.status === 'published');
  assert.ok(latest, 'a published release');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'api-search.json'), JSON.stringify(found, null, 2));

  // Download the release as JSON in the browser, from the dataset page the API links to.
  await page.goto(hit.links.html);
  await checkHowThisDataWasProtected(page, { statement: /ward/i, screenshotDir: outDir });
  await screenshot(page, outDir, '06-dataset');
  await screenshot(page, outDir, 'protected-dataset', { readme: true, viewport: true, scrollTo: page.locator('section[aria-labelledby="protection-heading"]') });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download JSON/ }).first().click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^${slug}-v${latest.version}\\.json$`));
  const file = path.join(outDir, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  const records = JSON.parse(bytes.toString('utf8')) as Array<Record<string, unknown>>;

  // 1. The same bytes as the JSON the API links to (fetched with the token).
  const servedJson = Buffer.from(await (await fetch(latest.links.json, { headers: bearer })).arrayBuffer());
  assert.ok(bytes.equals(servedJson), 'downloaded JSON = the JSON the API links to');
  // 2. The same rows as the CSV the API serves for that version, and as the release table.
  const stored = await readPublishedRelease(portal.dataDir, slug);
  assert.equal(stored.version, latest.version, 'the API names the current release');
  const csv = parse(Buffer.from(await (await fetch(latest.links.csv, { headers: bearer })).arrayBuffer()), { bom: true }) as string[][];
  assertCsvEqualsRelease(csv, stored);
  assertJsonEqualsRelease(records, stored);
  assert.ok(stored.rows.length > 10, `a real release (${stored.rows.length} rows)`);

  // The token page now says the token was used.
  await page.goto(portal.url + '/account/tokens');
  assert.doesNotMatch((await page.locator('main table tbody tr').first().textContent()) ?? '', /Never/, 'last use recorded');
  await screenshot(page, outDir, '07-tokens-used');

  assert.deepEqual(problems, [], 'no console or page errors');
  await context.close();
});

/// <reference lib="dom" />
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createDb } from '../../src/db/knex';
import { fromRoot } from '../../src/paths';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';
import { recordProblems, screenshot } from './journeys';
import { addStewards, signIn } from './steward-accounts';

/**
 * The steward journey in chromium (issue 9 §1): steward A uploads the housing-benefit CSV, reviews
 * the personal data Plaza detected, sets roles and the level, builds a protected-table policy in
 * the editor, previews it (the gate passes) and submits; steward B approves and publishes; the new
 * version is in search and on the public dataset page with how it was protected — and every step
 * is in the audit log.
 */

let portal: PortalProcess;
let browser: Browser;
const outDir = path.join(artifactsDir, 'steward');
const slug = 'housing-benefit-claims';
const stewardA = 'alex.steward@anytown.example';
const stewardB = 'bo.steward@anytown.example';

before(async () => {
  portal = await startPortal({}, {
    prepare: (db) => addStewards(db, [{ email: stewardA, publishers: ['revenues-and-benefits'] }, { email: stewardB, publishers: ['revenues-and-benefits'] }]),
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

/** A signed-in page that records console errors and page errors. */
async function stewardPage(email: string, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  recordProblems(page, problems, email);
  await signIn(page, portal.url, email);
  return page;
}

const roleOf = (page: Page, column: string) => page.locator('tr', { has: page.locator('th', { hasText: new RegExp(`^${column}$`) }) }).locator('select');

test('steward: upload → classify → policy → preview → submit; second steward approves and publishes; in search', async () => {
  const problems: string[] = [];
  const a = await stewardPage(stewardA, problems);

  // Upload a CSV.
  await a.goto(portal.url + '/manage/datasets');
  await a.getByRole('link', { name: 'Housing benefit claims' }).click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}$`));
  await a.locator('#link-upload').click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}/upload$`));
  await a.locator('#file').setInputFiles(fromRoot('seeds', 'files', 'housing-benefit-claims.csv'));
  await screenshot(a, outDir, '01-upload');
  await a.getByRole('button', { name: 'Upload and check' }).click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}/sources/\\d+$`));
  const result = (await a.locator('main').textContent()) ?? '';
  assert.match(result, /Imported 2,000 rows/);
  const sourceVersion = Number(/sources\/(\d+)$/.exec(a.url())![1]);
  await screenshot(a, outDir, '02-import-result');

  // Review the personal data found, set roles and the level.
  await a.getByRole('link', { name: 'Review the classification' }).click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}/classification$`));
  const found = (await a.locator('main').textContent()) ?? '';
  assert.match(found, /claimant_name/);
  assert.match(found, /date_of_birth/);
  assert.equal(await roleOf(a, 'claimant_name').inputValue(), 'direct_identifier', 'names detected as a direct identifier');
  await roleOf(a, 'claim_ref').selectOption('direct_identifier');
  await roleOf(a, 'age').selectOption('quasi_identifier');
  await roleOf(a, 'ward').selectOption('quasi_identifier');
  await roleOf(a, 'household_type').selectOption('quasi_identifier');
  await roleOf(a, 'weekly_award').selectOption('sensitive');
  await a.locator('#level-personal').check();
  await a.getByLabel(/Reason for your changes/).fill('Claims are personal data; age, ward and household type can single people out.');
  await screenshot(a, outDir, '03-classification');
  await a.getByRole('button', { name: 'Confirm classification' }).click();
  await a.waitForURL(/classification\?saved=1$/);
  assert.match((await a.locator('#classification-status').textContent()) ?? '', /confirmed by/);

  // Build the policy in the editor: identifiers dropped, ages grouped, a table with small counts hidden.
  await a.goto(portal.url + `/manage/datasets/${slug}`);
  await a.locator('#link-release-policy').click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}/policy$`));
  for (const i of [0, 1, 2]) await a.locator(`#t_${i}-2`).check(); // claim_ref, claimant_name, date_of_birth: drop
  await a.locator('#t_3-4').check(); // age: generalise
  await a.locator('#g_3').selectOption('groups');
  await a.locator('#v_3').fill('18, 25, 35, 50, 65');
  await a.locator('#u_3').fill('year');
  await a.locator('#t_5-2').check(); // postcode: drop
  await a.locator('#protection-3').check(); // a table
  await a.locator('#tableMethod').check(); // counts with small cells hidden
  for (const box of await a.locator('input[name="groupBy"]').all()) await box.uncheck();
  for (const column of ['ward', 'age', 'household_type']) await a.locator(`input[name="groupBy"][value="${column}"]`).check();
  await a.locator('#rule').check(); // threshold
  await a.locator('#threshold').fill('10');
  await a.locator('#secondary').check();
  await a.locator('#seed').fill(`${slug}-journey`);
  await a.locator('#note').fill('Ward × age band × household type, counts under 10 hidden.');
  await screenshot(a, outDir, '04-policy-editor');
  await a.getByRole('button', { name: 'Save policy', exact: true }).click();
  await a.waitForURL(new RegExp(`/manage/datasets/${slug}/release$`));
  assert.equal((await a.locator('#release-state').textContent())?.trim(), 'Draft');

  // Preview (in a worker, with a progress page that refreshes itself) and submit.
  await a.locator('#run-preview').click();
  await a.waitForURL(/release\?done=preview/, { timeout: 120_000 });
  assert.match((await a.locator('#preview').locator('xpath=following-sibling::*').allTextContents()).join(' '), /Passes/);
  assert.ok((await a.locator('#preview-rows tbody tr').count()) > 0, 'preview rows shown');
  const statement = ((await a.locator('.govuk-inset-text').first().textContent()) ?? '').trim();
  assert.match(statement, /under 10/);
  await screenshot(a, outDir, '05-preview');
  await screenshot(a, outDir, 'release-gate', { readme: true, viewport: true, scrollTo: a.locator('#preview') });
  await a.locator('#notes').fill('Housing benefit claims by ward, age band and household type.');
  await a.locator('#submit-release').click();
  await a.waitForURL(/release\?done=submit/);
  assert.equal((await a.locator('#release-state').textContent())?.trim(), 'In review');
  assert.match((await a.locator('main').textContent()) ?? '', /A second steward must approve it/);
  await screenshot(a, outDir, '06-submitted');

  // The second steward approves from the review queue, then publishes.
  const b = await stewardPage(stewardB, problems);
  await b.goto(portal.url + '/manage/reviews');
  await screenshot(b, outDir, '07-review-queue');
  await screenshot(b, outDir, 'review-queue', { readme: true, viewport: true });
  await b.getByRole('link', { name: 'Housing benefit claims' }).click();
  await b.waitForURL(new RegExp(`/manage/datasets/${slug}/release$`));
  await b.locator('#approve-release').click();
  await b.waitForURL(/release\?done=approve/);
  assert.equal((await b.locator('#release-state').textContent())?.trim(), 'Approved');
  await b.locator('#publish-release').click();
  await b.waitForURL(/release\?done=publish/, { timeout: 120_000 });
  await screenshot(b, outDir, '08-published');

  // The release is in search and on the public dataset page.
  const citizen = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await citizen.goto(portal.url + '/datasets?q=housing+benefit');
  const hit = citizen.locator('main').getByRole('link', { name: 'Housing benefit claims' });
  assert.equal(await hit.count(), 1, 'the dataset is found by search');
  await screenshot(citizen, outDir, '09-search');
  await hit.click();
  await citizen.waitForURL(new RegExp(`/datasets/${slug}$`));
  const publicPage = (await citizen.locator('main').textContent()) ?? '';
  assert.match(publicPage, /How this data was protected/);
  assert.doesNotMatch(publicPage, /HB700001|Isla Khan/, 'no raw values on the public page');
  await screenshot(citizen, outDir, '10-public-dataset');

  // Every step is in the audit log, by the right person.
  const db = await createDb('sqlite:' + path.join(portal.dataDir, 'plaza.db'));
  try {
    const users = new Map(((await db('users').select('id', 'email')) as Array<{ id: number; email: string }>).map((u) => [u.email, `user:${u.id}`]));
    const dataset = (await db('datasets').where({ slug }).first()) as { id: number };
    const entries = (await db('audit_log').where({ dataset_id: dataset.id }).orderBy('seq')) as Array<{ action: string; actor: string }>;
    const by = (action: string) => entries.filter((e) => e.action === action).map((e) => e.actor);
    assert.ok(by('ingest.source_imported').includes(users.get(stewardA)!), 'import audited');
    assert.ok(by('classification.updated').includes(users.get(stewardA)!), 'classification audited');
    assert.ok(by('policy.updated').includes(users.get(stewardA)!), 'policy audited');
    assert.ok(by('release.submitted').includes(users.get(stewardA)!), 'submit audited');
    assert.ok(by('release.approved').includes(users.get(stewardB)!), 'approval audited');
    assert.ok(by('release.published').includes(users.get(stewardB)!), 'publish audited');
    const release = (await db('releases').where({ dataset_id: dataset.id, state: 'published' }).first()) as { source_version: number };
    assert.equal(Number(release.source_version), sourceVersion, 'the published release is made from the uploaded source');
  } finally {
    await db.destroy();
  }
  assert.deepEqual(problems, [], 'no console or page errors');
});

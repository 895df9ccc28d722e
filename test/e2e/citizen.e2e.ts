/// <reference lib="dom" />
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'playwright-core';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';
import { assertCsvEqualsRelease, readPublishedRelease, recordProblems, screenshot } from './journeys';

/**
 * The citizen journey in chromium: home → search → facet → dataset page → download CSV, and the
 * downloaded file equals the release — byte for byte with what the server serves, its SHA-256 is
 * the checksum on the page, and cell for cell with the release table in the database.
 * (The "How this data was protected" step joins once protected releases exist: see
 * checkHowThisDataWasProtected in journeys.ts.)
 */

let portal: PortalProcess;
let browser: Browser;
const outDir = path.join(artifactsDir, 'citizen');

before(async () => {
  portal = await startPortal();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

test('citizen: home → search → facet → dataset → download CSV equals the release', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  recordProblems(page, problems);

  await page.goto(portal.url + '/');
  await screenshot(page, outDir, 'home', { readme: true });

  await page.getByLabel('Search datasets').fill('air quality');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/datasets\?q=air\+quality/);
  const before = Number(/(\d+)\s+datasets?/.exec((await page.locator('[role=status]').textContent()) ?? '')?.[1]);
  assert.ok(before >= 1, 'search found datasets');

  await page.getByLabel(/Environmental Health/).check();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/publisher=environmental-health/);
  const results = page.locator('main').getByRole('link', { name: 'Hourly air quality: PM2.5, PM10 and NO2' });
  assert.equal(await results.count(), 1);
  await screenshot(page, outDir, 'search', { readme: true });

  await results.click();
  await page.waitForURL(/\/datasets\/air-quality-hourly$/);
  assert.equal(await page.locator('h1').textContent(), 'Hourly air quality: PM2.5, PM10 and NO2');
  await screenshot(page, outDir, 'dataset', { readme: true });
  const pageText = (await page.locator('main').textContent()) ?? '';

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download CSV/ }).click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const file = path.join(outDir, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);

  // 1. The same bytes the server serves for the release, and the checksum the page shows.
  const stored = await readPublishedRelease(portal.dataDir, 'air-quality-hourly');
  const served = Buffer.from(await (await fetch(`${portal.url}/datasets/air-quality-hourly/releases/${stored.version}/data.csv`)).arrayBuffer());
  assert.ok(bytes.equals(served), 'downloaded file = served CSV');
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  assert.equal(sha, stored.checksum, 'SHA-256 = release checksum');
  assert.ok(pageText.includes(sha), 'the dataset page shows that checksum');

  // 2. Cell for cell the rows of the release table.
  const records = parse(bytes, { bom: true, relax_column_count: false }) as string[][];
  assertCsvEqualsRelease(records, stored);
  assert.ok(stored.rows.length > 100, `a real release (${stored.rows.length} rows)`);

  assert.deepEqual(problems, []);
  await context.close();
});

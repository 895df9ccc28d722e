/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { demoCatalogue } from '../helpers/demo';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';
import { recordProblems } from './journeys';

let portal: PortalProcess;
let browser: Browser;

before(async () => {
  fs.mkdirSync(artifactsDir, { recursive: true });
  portal = await startPortal();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

test('a citizen opens the home page, searches, filters and opens a dataset', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  recordProblems(page, problems);

  await page.goto(portal.url + '/');
  assert.equal(await page.locator('h1').textContent(), 'Find open data about Anytown');
  assert.ok(await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported')), 'govuk-frontend JS ran');
  await page.screenshot({ path: path.join(artifactsDir, 'home.png'), fullPage: true });

  await page.getByLabel('Search datasets').fill('air quality');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/datasets\?q=air\+quality/);
  const matching = demoCatalogue.airQualitySearch.length;
  assert.match(await page.locator('[role=status]').textContent() ?? '', new RegExp(`${matching}\\s+datasets matching`));
  for (const slug of demoCatalogue.airQualitySearch) assert.equal(await page.locator(`main a[href="/datasets/${slug}"]`).count(), 1, `${slug} found`);

  await page.getByLabel(/Environmental Health/).check();
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/publisher=environmental-health/);
  await page.screenshot({ path: path.join(artifactsDir, 'search.png'), fullPage: true });

  await page.getByRole('link', { name: 'Hourly air quality: PM2.5, PM10 and NO2' }).click();
  await page.waitForURL(/\/datasets\/air-quality-hourly$/);
  assert.equal(await page.locator('h1').textContent(), 'Hourly air quality: PM2.5, PM10 and NO2');
  assert.ok(await page.getByRole('link', { name: /Download CSV/ }).isVisible());
  assert.equal(await page.locator('table.govuk-table').first().locator('tbody tr').count(), 10);
  await page.screenshot({ path: path.join(artifactsDir, 'dataset.png'), fullPage: true });

  // Keyboard: the skip link is the first thing a keyboard user reaches.
  await page.goto(portal.url + '/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to main content');
  assert.deepEqual(problems, []);
  await page.close();
});

/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createDb } from '../../src/db/knex';
import { fromRoot } from '../../src/paths';

/**
 * Steps of the browser journeys (issue 9) that more than one test needs: reading a release back
 * from the portal's database, comparing a downloaded CSV with it, and checking the "How this data
 * was protected" section once protected releases exist.
 */

/** Where the README's screenshots live; journeys refresh them when PLAZA_UPDATE_SCREENSHOTS=1. */
export const readmeScreenshotsDir = fromRoot('docs', 'screenshots');

/**
 * Saves a screenshot under `dir` — the full page, or only the viewport (scrolled so `scrollTo` is
 * at the top) — and under docs/screenshots too when asked to refresh the README's.
 */
export async function screenshot(page: Page, dir: string, name: string, options: { readme?: boolean; viewport?: boolean; scrollTo?: Locator } = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  if (options.scrollTo) await options.scrollTo.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: !options.viewport });
  if (options.readme && process.env.PLAZA_UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(readmeScreenshotsDir, { recursive: true });
    fs.copyFileSync(path.join(dir, `${name}.png`), path.join(readmeScreenshotsDir, `${name}.png`));
  }
}

/** A published release as stored: its columns and rows straight from the release table. */
export interface StoredRelease {
  version: number;
  checksum: string;
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}

/** Reads the current published release of a dataset straight from a portal's SQLite file. */
export async function readPublishedRelease(dataDir: string, datasetSlug: string): Promise<StoredRelease> {
  const db = await createDb('sqlite:' + path.join(dataDir, 'plaza.db'));
  try {
    const rel = (await db('releases as r')
      .join('datasets as d', 'd.id', 'r.dataset_id')
      .where({ 'd.slug': datasetSlug, 'r.state': 'published' })
      .first('r.version', 'r.checksum', 'r.table_name', 'r.columns_json')) as { version: number; checksum: string; table_name: string; columns_json: string } | undefined;
    assert.ok(rel, `no published release of ${datasetSlug}`);
    assert.match(rel.table_name, /^rel_\d+$/);
    const columns = JSON.parse(rel.columns_json) as Array<{ name: string; type: string }>;
    const records = (await db(rel.table_name).select(columns.map((_, i) => `c${i}`)).orderBy('_row')) as Array<Record<string, unknown>>;
    const rows = records.map((r) => columns.map((_, i) => r[`c${i}`]));
    return { version: Number(rel.version), checksum: rel.checksum, columns, rows };
  } finally {
    await db.destroy();
  }
}

/**
 * Asserts that parsed CSV records (header first) hold exactly the stored release: same header,
 * same number of rows, every cell equal to the stored value in its CSV text form (numbers as
 * numbers, booleans as true/false, empty for null, and text a spreadsheet would run as a formula
 * prefixed with an apostrophe, as the download page says).
 */
export function assertCsvEqualsRelease(records: string[][], release: StoredRelease): void {
  const formula = /^[=+\-@\t\r\n\0]/;
  const text = (v: unknown, type: string): string => {
    if (v === null || v === undefined) return '';
    if (type === 'boolean') return v === 1 || v === true ? 'true' : 'false';
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    const s = String(v);
    return type === 'string' && formula.test(s) ? "'" + s : s;
  };
  assert.deepEqual(records[0], release.columns.map((c) => (formula.test(c.name) ? "'" + c.name : c.name)), 'header');
  assert.equal(records.length - 1, release.rows.length, 'row count');
  release.rows.forEach((row, i) => {
    const got = records[i + 1];
    release.columns.forEach((c, j) => {
      const want = text(row[j], c.type);
      if (c.type === 'number' && want !== '') assert.equal(Number(got[j]), Number(want), `row ${i + 1}, ${c.name}`);
      else assert.equal(got[j], want, `row ${i + 1}, ${c.name}`);
    });
  });
}

/**
 * Asserts that parsed JSON records (a download's array of objects keyed by column name) hold
 * exactly the stored release: same keys in column order, same number of rows, every value equal
 * to the stored one (booleans as true/false, null as null, numbers as numbers, text unchanged).
 */
export function assertJsonEqualsRelease(records: Array<Record<string, unknown>>, release: StoredRelease): void {
  const value = (v: unknown, type: string): unknown => {
    if (v === null || v === undefined) return null;
    if (type === 'boolean') return v === 1 || v === true;
    if (typeof v === 'bigint') return Number(v);
    return v;
  };
  assert.equal(records.length, release.rows.length, 'row count');
  release.rows.forEach((row, i) => {
    assert.deepEqual(Object.keys(records[i]), release.columns.map((c) => c.name), `row ${i + 1}: keys`);
    release.columns.forEach((c, j) => {
      const want = value(row[j], c.type);
      const got = records[i][c.name];
      if (typeof want === 'number') assert.equal(Number(got), want, `row ${i + 1}, ${c.name}`);
      else assert.deepEqual(got, want, `row ${i + 1}, ${c.name}`);
    });
  });
}

/**
 * The "How this data was protected" step of the citizen journey, for a dataset page of a protected
 * (non-public) release. Not called yet: the release workflow (issue 6) will produce protected
 * releases, and the journey test that publishes one should call this on its dataset page.
 */
export async function checkHowThisDataWasProtected(page: Page, expected: { statement: string | RegExp; screenshotDir?: string }): Promise<void> {
  const section = page.locator('section[aria-labelledby="protection-heading"]');
  assert.equal(await section.count(), 1, 'the dataset page has a "How this data was protected" section');
  assert.equal((await section.locator('h2').textContent())?.trim(), 'How this data was protected');
  const body = (await section.textContent()) ?? '';
  if (typeof expected.statement === 'string') assert.ok(body.includes(expected.statement), `statement shown: ${expected.statement}`);
  else assert.match(body, expected.statement);
  const link = section.getByRole('link', { name: 'How we protect personal data' });
  assert.equal(await link.getAttribute('href'), '/about/privacy');
  if (expected.screenshotDir) {
    fs.mkdirSync(expected.screenshotDir, { recursive: true });
    await section.screenshot({ path: path.join(expected.screenshotDir, 'how-this-data-was-protected.png') });
  }
}

/** Records a page's console errors and uncaught errors in `problems` (prefixed with `who` when given). */
export function recordProblems(page: Page, problems: string[], who?: string): Page {
  const tag = (message: string) => (who ? `${who}: ${message}` : message);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(tag(m.text()));
  });
  page.on('pageerror', (e) => problems.push(tag(e.message)));
  return page;
}

import { Readable } from 'node:stream';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { importCsv } from '../../src/ingest/import.service';
import { goodPassword, makeUser, publisherIdsBySlug } from '../helpers/auth-fixtures';

/**
 * Steward accounts for browser tests: created in a portal's database before it starts (pass
 * `addStewards` to startPortal's `prepare`), then signed in through the real sign-in page.
 */

/** One steward to create: an email and the publishers (slugs) they steward. */
export interface StewardSpec {
  email: string;
  publishers: string[];
}

/** Creates stewards (password: goodPassword) in the portal's database. */
export async function addStewards(db: Db, stewards: StewardSpec[]): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://127.0.0.1', LOG_LEVEL: 'silent', PLAZA_SECRET: 'e2e-steward-accounts-secret-0123456789abcdef' }, { ensureSecret: false });
  const pubs = await publisherIdsBySlug(db);
  for (const s of stewards) {
    await makeUser(db, config, { email: s.email, role: 'steward', publisherIds: s.publishers.map((p) => pubs.get(p)!) });
  }
}

/** Creates an admin (password: goodPassword) in the portal's database, as `plaza user:create --role admin` does. */
export async function addAdmin(db: Db, email: string): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', BASE_URL: 'http://127.0.0.1', LOG_LEVEL: 'silent', PLAZA_SECRET: 'e2e-steward-accounts-secret-0123456789abcdef' }, { ensureSecret: false });
  await makeUser(db, config, { email, role: 'admin' });
}

/** Signs a page in through /sign-in. */
export async function signIn(page: Page, baseUrl: string, email: string, password = goodPassword): Promise<void> {
  await page.goto(baseUrl + '/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

/**
 * A private source for a dataset whose column names are hostile (the XSS suite), imported through
 * the import service, and a steward of its publisher to open the editor with.
 */
export async function addHostileSource(db: Db, datasetSlug: string, columnNames: string[], stewardEmail: string, publisherSlug: string, cells: readonly string[] = []): Promise<void> {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  // Row n: its number first, then hostile cells (the given corpus in turn, or a bold mouse-over payload).
  const rows = Math.max(3, cells.length);
  const cell = (n: number, i: number) => (cells.length ? cells[(n + i) % cells.length] : `<b onmouseover=window.__xss=140>${n}</b>`);
  const csv = [columnNames.map(quote).join(','), ...Array.from({ length: rows }, (_, n) => columnNames.map((_, i) => (i === 0 ? String(n + 1) : quote(cell(n, i)))).join(','))].join('\n') + '\n';
  const config = loadConfig({ NODE_ENV: 'test', PLAZA_SECRET: 'e2e-steward-accounts-secret-0123456789abcdef' }, { ensureSecret: false });
  await importCsv(db, config.import, { datasetSlug, input: Readable.from([Buffer.from(csv)]), filename: 'hostile.csv', actor: 'system', mode: 'replace' });
  await addStewards(db, [{ email: stewardEmail, publishers: [publisherSlug] }]);
}

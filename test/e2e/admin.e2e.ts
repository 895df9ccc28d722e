/// <reference lib="dom" />
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';
import { recordProblems, screenshot } from './journeys';
import { addAdmin, signIn } from './steward-accounts';

/**
 * The admin journey in chromium (issue 9 §1): an admin (created as the CLI does) creates a steward
 * on /admin/users/new and hands over the password link; the steward sets a password and sees
 * their publisher's datasets; the admin views the audit log, filters it by action, actor and
 * dataset, and verifies the whole chain from the page.
 */

let portal: PortalProcess;
let browser: Browser;
const outDir = path.join(artifactsDir, 'admin');
const adminEmail = 'ada.admin@anytown.example';
const stewardEmail = `sam.steward-${Date.now()}@anytown.example`;

before(async () => {
  portal = await startPortal({}, { prepare: (db) => addAdmin(db, adminEmail) });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

/** A fresh page that records console and page errors. */
async function newPage(problems: string[], who: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  return recordProblems(page, problems, who);
}

/** The audit table's rows as [actor, action, object] texts. */
async function auditRows(page: Page): Promise<Array<{ actor: string; action: string; object: string }>> {
  return page.locator('main table tbody tr').evaluateAll((rows) =>
    rows.map((r) => {
      const cells = Array.from(r.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim());
      return { actor: cells[2], action: cells[3], object: cells[4] };
    }),
  );
}

test('admin: create a steward, view and filter the audit log, verify the chain', async () => {
  const problems: string[] = [];
  const admin = await newPage(problems, 'admin');
  await signIn(admin, portal.url, adminEmail);

  // Create a steward for Revenues and Benefits.
  await admin.goto(portal.url + '/account');
  await admin.locator('main').getByRole('link', { name: 'Users' }).click();
  await admin.waitForURL(/\/admin\/users$/);
  await screenshot(admin, outDir, '01-users');
  await admin.locator('main').getByRole('link', { name: 'Create an account' }).click();
  await admin.waitForURL(/\/admin\/users\/new$/);
  await admin.getByLabel('Email address').fill(stewardEmail);
  await admin.getByLabel('Name', { exact: true }).fill('Sam Steward');
  await admin.locator('#role-steward').check();
  await admin.getByLabel('Revenues and Benefits').check();
  await screenshot(admin, outDir, '02-new-steward');
  await admin.getByRole('button', { name: 'Create account' }).click();
  await admin.locator('#link').waitFor();
  assert.equal((await admin.locator('h1').textContent())?.trim(), 'Account created');
  const link = await admin.locator('#link').inputValue();
  assert.match(link, /\/account\/set-password\/\S+$/);
  await screenshot(admin, outDir, '03-steward-created');
  await admin.getByRole('link', { name: 'View the account' }).click();
  const userId = Number(/\/admin\/users\/(\d+)$/.exec(admin.url())?.[1]);
  assert.ok(userId > 0, 'the account page of the new user');
  const accountText = (await admin.locator('main').textContent()) ?? '';
  assert.ok(accountText.includes(stewardEmail));
  assert.match(accountText, /Revenues and Benefits/);

  // The steward sets a password with the link and manages their publisher's datasets.
  const steward = await newPage(problems, 'steward');
  await steward.goto(link);
  await steward.getByLabel('New password').fill('a long steward password 2026');
  await steward.getByLabel('Confirm password').fill('a long steward password 2026');
  await steward.getByRole('button', { name: 'Set password' }).click();
  await steward.getByRole('heading', { name: 'Your password has been set' }).waitFor();
  await signIn(steward, portal.url, stewardEmail, 'a long steward password 2026');
  await steward.goto(portal.url + '/manage/datasets');
  assert.equal(await steward.getByRole('link', { name: 'Housing benefit claims' }).count(), 1, "the new steward sees their publisher's datasets");
  await screenshot(steward, outDir, '04-steward-datasets');
  await steward.context().close();

  // The audit log, filtered by action.
  await admin.goto(portal.url + '/account');
  await admin.locator('main').getByRole('link', { name: 'Audit log' }).click();
  await admin.waitForURL(/\/audit$/);
  assert.ok((await auditRows(admin)).length > 0, 'entries listed');
  await screenshot(admin, outDir, '05-audit');
  await admin.getByLabel('Action').selectOption('user.created');
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.waitForURL(/action=user\.created/);
  const created = await auditRows(admin);
  assert.ok(created.length >= 2, 'the admin and the steward were created');
  assert.ok(created.every((r) => r.action === 'user.created'), 'only user.created entries');
  assert.ok(created.some((r) => r.object === `user ${userId}`), 'the new steward is there');
  await screenshot(admin, outDir, '06-audit-by-action');

  // By actor: the admin's own actions (follow the actor link), then a family of actions.
  const me = created.find((r) => r.object === `user ${userId}`)!.actor;
  assert.match(me, /^user:\d+$/);
  await admin.locator('main table tbody').getByRole('link', { name: me, exact: true }).first().click();
  await admin.waitForURL(new RegExp(`actor=${me.replace(':', '(:|%3A)')}`));
  const mine = await auditRows(admin);
  assert.ok(mine.length >= 2 && mine.every((r) => r.actor === me), "only the admin's entries");
  assert.ok(mine.some((r) => r.action === 'auth.login') && mine.some((r) => r.action === 'user.created'), 'sign-in and the creation');
  await admin.getByLabel('Action').selectOption('auth.*');
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.waitForURL(/action=auth\.\*|action=auth\.%2A/);
  const logins = await auditRows(admin);
  assert.ok(logins.length >= 1 && logins.every((r) => r.actor === me && r.action.startsWith('auth.')), 'actor and family filters combine');

  // By dataset: the seed's release of housing benefit, not the accounts.
  await admin.goto(portal.url + '/audit');
  await admin.getByLabel('Dataset').fill('housing-benefit-claims');
  await admin.getByRole('button', { name: 'Apply filters' }).click();
  await admin.waitForURL(/dataset=housing-benefit-claims/);
  const dataset = await auditRows(admin);
  assert.ok(dataset.some((r) => r.action === 'release.published'), 'the seeded release of the dataset');
  assert.ok(dataset.every((r) => !r.action.startsWith('user.') && !r.action.startsWith('auth.')), 'nothing about accounts');
  await screenshot(admin, outDir, '07-audit-by-dataset');

  // Verify the whole chain from the page.
  await admin.getByRole('button', { name: 'Verify the whole chain now' }).click();
  await admin.waitForURL(/\/audit$/);
  const banner = admin.locator('.govuk-notification-banner');
  assert.equal((await banner.locator('.govuk-notification-banner__title').textContent())?.trim(), 'Chain verified');
  const verdict = (await banner.textContent()) ?? '';
  const checked = Number(/OK: ([\d,]+) entries/.exec(verdict)?.[1].replace(/,/g, ''));
  // Every entry of the chain was checked: the count is the newest entry's sequence number.
  const newest = Number((await admin.locator('main table tbody tr').first().locator('td').first().textContent())?.trim());
  assert.ok(checked > 0 && checked >= newest - 1, `the whole chain checked (${checked} entries, newest #${newest})`);
  await screenshot(admin, outDir, '08-verified');

  assert.deepEqual(problems, [], 'no console or page errors');
  await admin.context().close();
});

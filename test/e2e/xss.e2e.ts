/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hostilePages, reflectedPages, seedHostileCatalogue, shortPayload, type HostileCatalogue } from '../helpers/hostile';
import { artifactsDir, launchBrowser, startPortal, type PortalProcess } from './browser';

/**
 * Hostile input rendered in chromium with the real CSP: an XSS corpus in every metadata field,
 * column header and cell of a published dataset (and reflected through query strings and paths).
 * Nothing may run — no dialog, no `window.__xss`, no CSP violation, no console error — and the
 * DOM may hold no event-handler attribute, foreign script, or script-bearing URL.
 */

let portal: PortalProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let hostile: HostileCatalogue;
const outDir = path.join(artifactsDir, 'xss');

/** Everything suspicious one page load produced. */
interface Findings {
  dialogs: string[];
  csp: string[];
  consoleErrors: string[];
  pageErrors: string[];
}
let findings: Findings;
const reset = () => (findings = { dialogs: [], csp: [], consoleErrors: [], pageErrors: [] });

before(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  portal = await startPortal({}, { prepare: async (db) => void (hostile = await seedHostileCatalogue(db)) });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Runs before any page script, whatever the CSP: records violations the page would report.
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sample})`));
  });
  page = await context.newPage();
  reset();
  page.on('dialog', (d) => {
    findings.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) findings.csp.push(m.text());
    else if (m.type() === 'error') findings.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => findings.pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  await portal?.stop();
});

/** Inspects the rendered DOM for anything that is or could become script. */
function domProblems(): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const safeUrl = /^(https?:|mailto:|\/|#|\?|$)/i;
    for (const el of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(el.attributes)) {
        if (/^on/i.test(a.name)) problems.push(`<${el.localName} ${a.name}="${a.value}">`);
        if (['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href'].includes(a.name.toLowerCase()) && !safeUrl.test(a.value.trim())) {
          problems.push(`<${el.localName} ${a.name}="${a.value}">`);
        }
      }
    }
    for (const s of Array.from(document.scripts)) {
      if (s.getAttribute('src') !== '/public/app.js') problems.push(`script: ${s.outerHTML.slice(0, 120)}`);
    }
    for (const sel of ['iframe', 'object', 'embed', 'base', 'meta[http-equiv]', 'main style', 'main svg:not([aria-hidden=true])', 'main img', 'main [style]']) {
      for (const el of Array.from(document.querySelectorAll(sel))) problems.push(`${sel}: ${el.outerHTML.slice(0, 120)}`);
    }
    return problems;
  });
}

async function visit(url: string, name: string): Promise<void> {
  reset();
  const res = await page.goto(portal.url + url, { waitUntil: 'load' });
  const status = res?.status() ?? 0;
  assert.ok(status < 500, `${url} answered ${status}`);
  // Give any deferred payload (timers, focus, toggles, lazy images) a chance, and interact a little.
  await page.mouse.move(200, 300);
  await page.keyboard.press('Tab');
  await page.waitForTimeout(150);
  const xss = await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
  const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  const dom = await domProblems();
  // A 4xx page logs its own status as a failed resource; that is the only console error allowed.
  const consoleErrors = findings.consoleErrors.filter((e) => !(status >= 400 && /Failed to load resource: the server responded with a status of 4\d\d/.test(e)));
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  assert.equal(xss, undefined, `${url}: a payload ran (window.__xss = ${String(xss)})`);
  assert.deepEqual(findings.dialogs, [], `${url}: dialogs opened`);
  assert.deepEqual([...csp, ...findings.csp], [], `${url}: the CSP reported violations`);
  assert.deepEqual(findings.pageErrors, [], `${url}: page errors`);
  assert.deepEqual(consoleErrors, [], `${url}: console errors`);
  assert.deepEqual(dom, [], `${url}: script-capable markup in the DOM`);
}

test('the CSP listener works: an inline script in this page is blocked and reported', async () => {
  await page.goto(portal.url + '/about/privacy');
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__xss = "csp-canary"';
    document.body.append(s);
  });
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined, 'inline script blocked by CSP');
  const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  assert.ok(csp.length >= 1, 'violation seen by the listener');
});

test('hostile metadata, column names and cells are shown as text, and nothing runs', async () => {
  const pages = hostilePages(hostile);
  for (const [i, url] of pages.entries()) await visit(url, `stored-${i}`);
  // The payloads are displayed literally (escaped), not silently dropped.
  await page.goto(portal.url + `/datasets/${hostile.datasetSlug}`);
  assert.match((await page.locator('h1.govuk-heading-xl').textContent()) ?? '', /<script>window\.__xss=105<\/script>/);
  const body = (await page.locator('main').textContent()) ?? '';
  assert.ok(body.includes(shortPayload), 'payload text visible in the page');
  assert.ok(body.includes('<script>window.__xss=110</script>'), 'hostile column name visible as text');
  assert.ok(body.includes('{{constructor.constructor('), 'template syntax shown literally');
  assert.equal(await page.locator('a[href="https://example.org"]').count(), 1, 'a safe Markdown link survives');
});

test('hostile input reflected from the address is escaped, and nothing runs', async () => {
  for (const [i, url] of reflectedPages().entries()) await visit(url, `reflected-${i}`);
});

test('keyboard and pointer over every link and control of the hostile dataset page run nothing', async () => {
  reset();
  await page.goto(portal.url + `/datasets/${hostile.datasetSlug}`);
  const handles = await page.locator('main a, main button, main input, main summary, main td, main th').all();
  for (const h of handles.slice(0, 400)) {
    await h.hover({ timeout: 1000 }).catch(() => undefined);
    await h.focus().catch(() => undefined);
  }
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
  assert.deepEqual(findings.dialogs, []);
});

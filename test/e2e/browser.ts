import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { fromRoot } from '../../src/paths';
import { seedDemoCity } from '../../seeds/demo-city.seed';

/** Where browser tests leave their screenshots. */
export const artifactsDir = fromRoot('test-artifacts');

/** Launches Debian's chromium headless with the flags this machine needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A portal server on a fresh SQLite file with the demo city, for browser journeys. */
export interface PortalProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Options for startPortal. */
export interface PortalOptions {
  /**
   * Runs against the portal's database before the server starts: the file is migrated and seeded
   * with the demo city first, then this adds whatever the test needs (hostile metadata, big releases…).
   */
  prepare?: (db: Db) => Promise<void>;
}

/** Starts `src/main.ts` (via tsx) on a free port and waits until it listens. */
export async function startPortal(env: NodeJS.ProcessEnv = {}, options: PortalOptions = {}): Promise<PortalProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-e2e-'));
  if (options.prepare) {
    const db = await createDb('sqlite:' + path.join(dataDir, 'plaza.db'));
    try {
      await migrateLatest(db);
      await seedDemoCity(db);
      await options.prepare(db);
    } finally {
      await db.destroy();
    }
  }
  const port = 31000 + Math.floor(Math.random() * 20000);
  const child = spawn(fromRoot('node_modules', '.bin', 'tsx'), [fromRoot('src', 'main.ts')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PLAZA_DATA_DIR: dataDir, LOG_LEVEL: 'info', BASE_URL: `http://127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (c) => (log += c));
  child.stderr?.on('data', (c) => (log += c));
  const deadline = Date.now() + 120_000;
  while (!log.includes('Plaza is listening')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('portal did not start:\n' + log);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One axe-core rule violation, trimmed to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** The WCAG 2.2 AA rule tags GOV.UK services are held to. */
export const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core (injected from node_modules) in the page and returns its serious and critical violations. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  }, wcagTags);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

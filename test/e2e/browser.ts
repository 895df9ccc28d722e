import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { fromRoot } from '../../src/paths';

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

/** Starts `src/main.ts` (via tsx) on a free port and waits until it listens. */
export async function startPortal(env: NodeJS.ProcessEnv = {}): Promise<PortalProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-e2e-'));
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

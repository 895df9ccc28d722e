import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fromRoot } from '../../src/paths';

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('the server starts on an empty SQLite file with the demo city, and stops cleanly on SIGTERM within 10 s', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-serve-'));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const child = spawn(fromRoot('node_modules', '.bin', 'tsx'), [fromRoot('src', 'main.ts')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PLAZA_DATA_DIR: dir, LOG_LEVEL: 'info', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 90_000;
    while (!log.includes('Plaza is listening')) {
      if (Date.now() > deadline) throw new Error('server did not start:\n' + log);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(fs.existsSync(path.join(dir, 'plaza.db')), 'the database file is created under the data folder');
    const home = await get(port, '/index.json');
    assert.equal(home.status, 200);
    assert.equal(JSON.parse(home.body).counts.datasets, demoCatalogue.publicDatasets);
    assert.doesNotMatch(log, /"cookie"|authorization":"[^[]/i);
    const started = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(Date.now() - started < 10_000);
    assert.match(log, /shutting down/);
    assert.match(log, /stopped/);
    const journal = fs.readFileSync(path.join(dir, 'plaza.db')).subarray(0, 16).toString('latin1');
    assert.match(journal, /^SQLite format 3/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a bad configuration stops start-up with a clear message', async () => {
  const child = spawn(fromRoot('node_modules', '.bin', 'tsx'), [fromRoot('src', 'main.ts')], {
    env: { ...process.env, PORT: 'not-a-port' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /Invalid configuration:\n\s+- PORT: /);
});

import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fromRoot } from '../../src/paths';

const tsx = fromRoot('node_modules', '.bin', 'tsx');
const cli = fromRoot('src', 'cli', 'main.ts');

function plaza(args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-cli-'));
  const res = spawnSync(tsx, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PLAZA_DATA_DIR: dir, LOG_LEVEL: 'silent', ...env },
    timeout: 120_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr, dir };
}

describe('plaza CLI', () => {
  test('--help lists the commands', () => {
    const r = plaza(['--help']);
    assert.equal(r.code, 0);
    for (const cmd of ['migrate', 'seed', 'serve']) assert.match(r.out, new RegExp(`\\b${cmd}\\b`));
  });

  test('migrate, migrate --status, seed, and seed refused on a non-empty database', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-cli-db-'));
    const env = { DATABASE_URL: 'sqlite:' + path.join(dir, 'p.db') };
    const m = plaza(['migrate'], env);
    assert.equal(m.code, 0, m.err);
    assert.match(m.out, /Applied \d+ migrations/);
    assert.match(plaza(['migrate'], env).out, /Already up to date/);
    const status = plaza(['migrate', '--status'], env);
    assert.match(status.out, /applied {2}20261126150000_catalogue/);
    const s = plaza(['seed'], env);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, new RegExp(`Seeded the demo city: ${demoCatalogue.publicDatasets} public datasets, ${demoCatalogue.privateSources} private sources`));
    const again = plaza(['seed'], env);
    assert.equal(again.code, 1);
    assert.match(again.err, /already has a catalogue/);
  });

  test('bad arguments and configuration exit non-zero with a message', () => {
    const unknown = plaza(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command/);
    const badSeed = plaza(['seed', '--seed', 'abc'], { DATABASE_URL: ':memory:' });
    assert.equal(badSeed.code, 2);
    assert.match(badSeed.err, /--seed must be a whole number/);
    const badConfig = plaza(['migrate'], { DATABASE_URL: 'mysql://nope' });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.err, /DATABASE_URL: must start with/);
  });
});

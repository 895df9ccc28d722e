import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-config-'));

describe('configuration from the environment', () => {
  test('defaults: port 3000, SQLite under the data folder, base URL from the port', () => {
    const dir = tmp();
    const c = loadConfig({ PLAZA_DATA_DIR: dir });
    assert.equal(c.port, 3000);
    assert.equal(c.databaseUrl, 'sqlite:' + path.join(dir, 'plaza.db'));
    assert.equal(c.baseUrl, 'http://localhost:3000');
    assert.equal(c.env, 'development');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.redisUrl, undefined);
  });

  test('in development the secret is generated once and kept under data/', () => {
    const dir = tmp();
    const a = loadConfig({ PLAZA_DATA_DIR: dir });
    const b = loadConfig({ PLAZA_DATA_DIR: dir });
    assert.equal(a.secret, b.secret);
    assert.ok(a.secret.length >= 32);
    assert.equal(fs.statSync(path.join(dir, 'secret')).mode & 0o777, 0o600);
  });

  test('PLAZA_SECRET is required in production', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', PLAZA_DATA_DIR: tmp() }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /PLAZA_SECRET: required when NODE_ENV=production/);
      return true;
    });
    const ok = loadConfig({ NODE_ENV: 'production', PLAZA_SECRET: 'x'.repeat(40), BASE_URL: 'https://data.anytown.gov.uk/' });
    assert.equal(ok.baseUrl, 'https://data.anytown.gov.uk');
  });

  test('every bad value is reported with its variable name', () => {
    const bad = {
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      BASE_URL: 'not a url',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://redis',
      PLAZA_SECRET: 'short',
      NODE_ENV: 'staging',
    };
    assert.throws(() => loadConfig(bad), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      for (const name of Object.keys(bad)) assert.match(e.message, new RegExp(`${name}: `), name);
      assert.equal(e.problems.length, 7);
      return true;
    });
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT: /);
  });

  test('PostgreSQL and Redis URLs are accepted', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db', REDIS_URL: 'redis://127.0.0.1:6379', PLAZA_SECRET: 'y'.repeat(32) });
    assert.equal(c.databaseUrl, 'postgres://u@h/db');
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  });
});

test('RELEASE_POLICY_FILE tightens the gate; loosening below a floor without a recorded reason stops start-up', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-gate-'));
  const base = { NODE_ENV: 'test' as const, PLAZA_DATA_DIR: dir };
  const example = path.join(__dirname, '..', '..', 'docs', 'release-policy.example.json');
  const strict = loadConfig({ ...base, RELEASE_POLICY_FILE: example }, { ensureSecret: false });
  assert.equal(strict.releasePolicy.personal.k, 10);
  assert.equal(strict.releasePolicy.specialCategory.maxEpsilon, 0.5);
  assert.equal(loadConfig(base, { ensureSecret: false }).releasePolicy.personal.k, 5, 'the floors by default');
  const loose = path.join(dir, 'loose.json');
  fs.writeFileSync(loose, JSON.stringify({ personal: { k: 3 } }));
  assert.throws(() => loadConfig({ ...base, RELEASE_POLICY_FILE: loose }, { ensureSecret: false }), /RELEASE_POLICY_FILE: .*loosens personal\.k below the floor/);
  fs.writeFileSync(loose, JSON.stringify({ personal: { k: 3 }, loosenings: [{ setting: 'personal.k', admin: 'user:1', reason: 'Pilot agreed with the DPO for aggregate-only use' }] }));
  assert.equal(loadConfig({ ...base, RELEASE_POLICY_FILE: loose }, { ensureSecret: false }).releasePolicy.personal.k, 3);
  fs.writeFileSync(loose, '{ not json');
  assert.throws(() => loadConfig({ ...base, RELEASE_POLICY_FILE: loose }, { ensureSecret: false }), /RELEASE_POLICY_FILE: cannot read .* as JSON/);
  fs.rmSync(dir, { recursive: true, force: true });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { demoReleasePolicies } from '../../seeds/lib/demo-policies';
import { fromRoot } from '../../src/paths';

const tsx = fromRoot('node_modules', '.bin', 'tsx');
const cli = fromRoot('src', 'cli', 'main.ts');

/** The release workflow from the terminal (issue 6 §9), on a SQLite file (the CLI runs its own process). */
describe('plaza release:* commands', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-release-cli-'));
  const env = { ...process.env, PLAZA_DATA_DIR: dir, DATABASE_URL: 'sqlite:' + path.join(dir, 'p.db'), LOG_LEVEL: 'silent', PLAZA_SECRET: 'cli-test-secret-that-is-long-enough-0123456789' };
  const plaza = (args: string[]) => {
    const r = spawnSync(tsx, [cli, ...args], { encoding: 'utf8', env, timeout: 120_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(() => {
    const seeded = plaza(['seed']);
    assert.equal(seeded.code, 0, seeded.err);
  });

  test('policy, preview, submit, four eyes, approve, publish, status, withdraw', () => {
    for (const email of ['ann@anytown.gov.uk', 'ben@anytown.gov.uk']) {
      const r = plaza(['user:create', '--email', email, '--role', 'steward', '--publisher', 'adult-social-care']);
      assert.equal(r.code, 0, r.err);
    }
    const file = path.join(dir, 'policy.json');
    fs.writeFileSync(file, JSON.stringify({ policy: demoReleasePolicies['adult-social-care-service-users'].policy, note: 'From the CLI' }));
    const common = ['--dataset', 'adult-social-care-service-users'];
    const saved = plaza(['release:policy', ...common, '--file', file, '--as', 'ann@anytown.gov.uk']);
    assert.equal(saved.code, 0, saved.err);
    assert.match(saved.out, /Saved policy version 2 of adult-social-care-service-users; release \d+ is draft/);
    const preview = plaza(['release:preview', ...common, '--as', 'ann@anytown.gov.uk']);
    assert.equal(preview.code, 0, preview.err);
    assert.match(preview.out, /PASS special_category\.rounding: Counts are rounded to base 5/);
    assert.equal(plaza(['release:submit', ...common, '--as', 'ann@anytown.gov.uk']).code, 0);
    const self = plaza(['release:approve', ...common, '--as', 'ann@anytown.gov.uk']);
    assert.notEqual(self.code, 0);
    assert.match(self.err, /second steward must approve/);
    const outsider = plaza(['release:approve', ...common, '--as', 'nobody@anytown.gov.uk']);
    assert.match(outsider.err, /no active account/);
    assert.equal(plaza(['release:approve', ...common, '--as', 'ben@anytown.gov.uk']).code, 0);
    const published = plaza(['release:publish', ...common, '--as', 'ben@anytown.gov.uk']);
    assert.equal(published.code, 0, published.err);
    assert.match(published.out, /Published adult-social-care-service-users version 2: \d+ rows, sha256 [0-9a-f]{64}/);
    const status = plaza(['release:status', ...common]);
    assert.match(status.out, /Nothing in progress/);
    assert.match(status.out, /v2\tpublished/);
    assert.match(status.out, /v1\tsuperseded/);
    const w = plaza(['release:withdraw', ...common, '--version', '1', '--reason', 'Superseded by a corrected count.']);
    assert.equal(w.code, 0, w.err);
    assert.equal(plaza(['audit:verify']).code, 0);
  });

  test('release:policy checks the settings against the one schema: a bad field is named, nothing is saved', () => {
    const file = path.join(dir, 'bad-settings.json');
    const policy = demoReleasePolicies['housing-benefit-claims'].policy;
    const common = ['release:policy', '--dataset', 'housing-benefit-claims', '--file', file];
    fs.writeFileSync(file, JSON.stringify({ policy, settings: { household: { timeColumn: 'claim_date' } } }));
    const missing = plaza(common);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /The release settings are not valid: settings\.household\.countMeasure: /);
    fs.writeFileSync(file, JSON.stringify({ policy, settings: { houshold: null } }));
    const typo = plaza(common);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /settings: Unrecognized key: "houshold"/);
    fs.writeFileSync(file, '[]');
    const notObject = plaza(common);
    assert.equal(notObject.code, 2);
    assert.match(notObject.err, /must hold a JSON object/);
    assert.doesNotMatch(plaza(['release:status', '--dataset', 'housing-benefit-claims']).out, /In progress/, 'no policy version, no release');
  });

  test('release:describe lists only confidential datasets as a description only, like the web page and the API', () => {
    const refused = plaza(['release:describe', '--dataset', 'air-quality-hourly']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /Only confidential datasets are listed as a description only; publish a release instead/);
    const listed = plaza(['release:describe', '--dataset', 'community-safety-case-register']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /Listed community-safety-case-register as a description only/);
  });
});

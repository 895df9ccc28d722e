import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDb, type Db } from '../../src/db/knex';
import { fromRoot } from '../../src/paths';
import { fixtureCases, fixtureDir } from '../helpers/import-fixtures';

/** `plaza import` and `plaza source:purge`, spawned as a user would run them, on a temp SQLite file. */

const tsx = fromRoot('node_modules', '.bin', 'tsx');
const cli = fromRoot('src', 'cli', 'main.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-import-cli-'));
const env = { ...process.env, DATABASE_URL: 'sqlite:' + path.join(dir, 'p.db'), PLAZA_DATA_DIR: dir, LOG_LEVEL: 'silent', NODE_ENV: 'test' };

function plaza(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

let db: Db;
before(async () => {
  const m = spawnSync(tsx, [cli, 'seed'], { env, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  db = await createDb(env.DATABASE_URL);
});
after(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('plaza import', () => {
  test('the fixture corpus: clean imports exit 0, bad input exits 2 naming row, column and rule', async () => {
    // Each spawn starts tsx (seconds); the whole corpus runs through the service, the web and the
    // API, so the CLI gets a cross-section of clean imports and of each kind of refusal.
    const picked = new Set(['empty.csv', 'ragged-extra-field.csv', 'unclosed-quote.csv', 'five-thousand-columns.csv', 'gzip-bomb.csv.gz', 'ten-mb-field.csv.gz', 'invalid-utf8.csv', 'windows-1252.csv', 'proto-headers.csv', 'mixed-line-endings.csv', 'utf16le-bom.csv', 'header-only.csv']);
    const cases = fixtureCases().filter((c) => picked.has(c.file));
    assert.equal(cases.length, picked.size);
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async (c, k) => {
          const slug = `cli-fixture-${i + k}`;
          const r = await plaza(['import', path.join(fixtureDir, c.file), '--dataset', slug, '--create', '--title', c.case, '--publisher', 'finance', '--level', 'personal', '--json']);
          if (c.status === 200) {
            assert.equal(r.code, 0, `${c.file}: ${r.err}`);
            const result = JSON.parse(r.out);
            assert.equal(result.source.rows, c.rows, c.file);
          } else {
            assert.equal(r.code, 2, `${c.file}: ${r.out} ${r.err}`);
            assert.match(r.err, new RegExp(c.message!), c.file);
            assert.equal(await db('datasets').where({ slug }).first(), undefined, `${c.file} left a dataset behind`);
          }
        }),
      );
    }
  });

  test('--publish publishes a public dataset as a release through the publishing service', async () => {
    const file = path.join(dir, 'stops.csv');
    fs.writeFileSync(file, 'stop_code,stop_name,latitude,longitude,shelter\nAT0001,High Street,51.50741,-0.12780,yes\nAT0002,Mill Lane,51.50813,-0.12911,no\n');
    const r = await plaza(['import', file, '--dataset', 'new-bus-stops', '--create', '--title', 'New bus stops', '--publisher', 'transport-and-highways', '--level', 'public', '--publish']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Imported 2 rows and 5 columns/);
    assert.match(r.out, /Published release 1 of "new-bus-stops" with 2 rows/);
    const release = await db('pub_releases').join('pub_datasets', 'pub_datasets.id', 'pub_releases.dataset_id').where('pub_datasets.slug', 'new-bus-stops').first('pub_releases.row_count');
    assert.equal(Number(release.row_count), 2);
    const audit = await db('audit_log').where({ action: 'release.published', actor: 'system' }).orderBy('seq', 'desc').first();
    assert.match(audit.details, /new-bus-stops/);
  });

  test('--publish is refused for a non-public level, before anything is imported', async () => {
    const before = await db('sources').count({ n: '*' });
    const r = await plaza(['import', fromRoot('seeds', 'files', 'housing-benefit-claims.csv'), '--dataset', 'housing-benefit-claims', '--publish']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--publish is only allowed for datasets at level "public"; "housing-benefit-claims" is "personal"/);
    assert.deepEqual(await db('sources').count({ n: '*' }), before);
    const created = await plaza(['import', fromRoot('seeds', 'files', 'housing-benefit-claims.csv'), '--dataset', 'x-claims', '--create', '--title', 'X', '--publisher', 'finance', '--level', 'personal', '--publish']);
    assert.equal(created.code, 2);
    assert.match(created.err, /--publish is only allowed for datasets at level "public", not "personal"/);
  });

  test('--publish of a "public" dataset with personal data in it is refused after the import, naming the column', async () => {
    const r = await plaza(['import', fromRoot('seeds', 'files', 'housing-benefit-claims.csv'), '--dataset', 'mislabelled', '--create', '--title', 'Mislabelled', '--publisher', 'finance', '--level', 'public', '--publish']);
    assert.equal(r.code, 2);
    assert.match(r.err, /Not published: column "claim_ref" is classified as a direct identifier/);
    assert.match(r.out, /Imported 2000 rows/);
    const ds = await db('pub_datasets').where({ slug: 'mislabelled' }).first();
    assert.equal(ds, undefined);
  });

  test('--type overrides, --mode append, and source:purge', async () => {
    const file = path.join(dir, 'codes.csv');
    fs.writeFileSync(file, 'code,n\n1,2\n3,4\n');
    const a = await plaza(['import', file, '--dataset', 'codes', '--create', '--title', 'Codes', '--publisher', 'finance', '--level', 'public', '--type', 'code=string', '--json']);
    assert.equal(a.code, 0, a.err);
    assert.deepEqual(JSON.parse(a.out).source.columns.map((c: { type: string }) => c.type), ['string', 'integer']);
    const b = await plaza(['import', file, '--dataset', 'codes', '--mode', 'append', '--json']);
    assert.equal(b.code, 0, b.err);
    assert.equal(JSON.parse(b.out).source.rows, 4);
    const badType = await plaza(['import', file, '--dataset', 'codes', '--type', 'code=float']);
    assert.equal(badType.code, 2);
    assert.match(badType.err, /--type needs NAME=TYPE/);
    const purge = await plaza(['source:purge', '--dataset', 'codes', '--version', '1', '--reason', 'test data']);
    assert.equal(purge.code, 0, purge.err);
    assert.match(purge.out, /Purged source version 1 of "codes"/);
    const latest = await plaza(['source:purge', '--dataset', 'codes', '--version', '2', '--reason', 'test']);
    assert.equal(latest.code, 2);
    assert.match(latest.err, /newest source version/);
    const audit = await db('audit_log').where({ action: 'ingest.source_purged' }).first();
    assert.match(audit.details, /test data/);
  });

  test('usage errors exit 2 with a message', async () => {
    const missing = await plaza(['import', path.join(dir, 'nope.csv'), '--dataset', 'codes']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /No such file/);
    const noTitle = await plaza(['import', path.join(fixtureDir, 'utf8-bom.csv'), '--dataset', 'zz', '--create']);
    assert.equal(noTitle.code, 2);
    assert.match(noTitle.err, /--create needs --title, --publisher and --level/);
    const noDataset = await plaza(['import', path.join(fixtureDir, 'utf8-bom.csv'), '--dataset', 'does-not-exist']);
    assert.equal(noDataset.code, 2);
    assert.match(noDataset.err, /Dataset not found/);
  });
});

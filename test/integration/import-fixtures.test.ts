import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config';
import { readRowBatch } from '../../src/db/data-table';
import { AppError } from '../../src/errors';
import { importCsv } from '../../src/ingest/import.service';
import { listSources } from '../../src/ingest/source.repository';
import { fromRoot } from '../../src/paths';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb, type TestDb } from '../helpers/test-db';
import { countRawTables, fixtureCases, fixtureDir } from '../helpers/import-fixtures';

/** The bad-input corpus through the import service: a clean import or a 4xx, never a partial one. */

let t: TestDb;
const limits = loadConfig({ NODE_ENV: 'test', PLAZA_SECRET: 'x'.repeat(40) }, { ensureSecret: false }).import;
before(async () => {
  t = await createTestDb();
  await seedDemoCity(t.db);
});
after(() => t.destroy());

async function run(file: string, slug: string) {
  return importCsv(t.db, limits, {
    datasetSlug: slug,
    create: { title: `Fixture ${file}`, publisherSlug: 'finance', level: 'personal' },
    input: fs.createReadStream(path.join(fixtureDir, file)),
    filename: file,
    actor: 'user:1',
  });
}

describe('import fixture corpus (service)', () => {
  for (const [n, c] of fixtureCases().entries()) {
    test(`${c.file}: ${c.case} → ${c.status}`, async () => {
      const slug = `fixture-${n}`;
      const rawBefore = await countRawTables(t.db);
      if (c.status === 200) {
        const r = await run(c.file, slug);
        assert.equal(r.source.rows, c.rows);
        if (c.columns) assert.deepEqual(r.source.columns.map((x) => x.name), c.columns);
        if (c.message) assert.ok(r.warnings.some((w) => new RegExp(c.message!).test(w)), r.warnings.join('\n'));
        assert.equal(await countRawTables(t.db), rawBefore + 1);
      } else {
        const err = await run(c.file, slug).then(
          () => assert.fail('expected a refusal'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof AppError, String(err));
        assert.equal(err.status, c.status, err.message);
        assert.match(err.message, new RegExp(c.message!));
        // Nothing partially imported: no dataset, no source row, no raw table.
        assert.equal(await t.db('datasets').where({ slug }).first(), undefined);
        assert.equal(await countRawTables(t.db), rawBefore);
        const audit = await t.db('audit_log').where({ action: 'ingest.source_rejected' }).orderBy('seq', 'desc').first();
        assert.match(String(audit.details), new RegExp(slug));
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.prototype.toString.call([]), '[object Array]');
    });
  }

  test('values round-trip exactly: accents, €, formulas, embedded newlines and quotes', async () => {
    const expectations: Array<[string, string[][]]> = [
      ['windows-1252.csv', [['Café crème', '€3,50', 'Sèvres'], ['Thé', '€2', 'Besançon'], ['Crêpe', '€4', 'Nîmes']]],
      ['utf16le-bom.csv', [['Café', '€3.50'], ['Naïve', '€2']]],
      ['utf8-bom.csv', [['Café', '€3.50'], ['Naïve', '€2']]],
      ['formula-cells.csv', [['sum', '=SUM(A1:A9)'], ['plus', '+44 7700 900123'], ['minus', '-2+3'], ['at', '@cmd|calc']]],
      ['quoted-newlines.csv', [['1', 'line one\nline two, with "quotes"'], ['2', 'plain']]],
      ['mixed-line-endings.csv', [['1', 'crlf'], ['2', 'lf'], ['3', 'cr'], ['4', 'multi\r\nline']]],
      ['proto-headers.csv', [['{"polluted":true}', 'function', 'x', '1'], ['null', 'Object', 'y', '2']]],
    ];
    for (const [file, rows] of expectations) {
      const r = await run(file, `exact-${file.replace(/[^a-z0-9]+/g, '-')}`);
      const { rows: stored } = await readRowBatch(t.db, r.source.tableName, r.source.columns, 0, 100);
      assert.deepEqual(stored.map((row) => row.map((v) => (v === null ? '' : String(v)))), rows, file);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('versions: a second import makes version 2; append keeps the old rows', async () => {
    const file = fromRoot('test', 'fixtures', 'import', 'ragged-rows.csv');
    const slug = 'versioned';
    await run('ragged-rows.csv', slug);
    const v2 = await importCsv(t.db, limits, { datasetSlug: slug, input: fs.createReadStream(file), filename: 'again.csv', actor: 'user:1', mode: 'append' });
    assert.equal(v2.source.version, 2);
    assert.equal(v2.source.rows, 8);
    const v3 = await importCsv(t.db, limits, { datasetSlug: slug, input: fs.createReadStream(file), filename: 'again.csv', actor: 'user:1' });
    assert.equal(v3.source.rows, 4);
    const ds = await t.db('datasets').where({ slug }).first();
    assert.deepEqual((await listSources(t.db, ds.id)).map((s) => [s.version, s.mode, s.rowCount]), [[3, 'replace', 4], [2, 'append', 8], [1, 'replace', 4]]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { createDataTable, dataTableExists, findNul, insertRows, readRowBatch } from '../../src/db/data-table';
import { ValidationError } from '../../src/errors';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { publishTestDataset } from '../http/download-fixtures';

/**
 * PostgreSQL text cannot hold U+0000, so data tables refuse it on both engines with the same 400,
 * naming the row (counted across batches) and the column; nothing is written.
 */
describe('NUL characters in data tables', () => {
  let t: TestApp;
  const columns: ColumnSchema[] = [
    { name: 'n', type: 'integer' },
    { name: 'label', type: 'string' },
  ];
  before(async () => {
    t = await createTestApp({ demo: false });
    await t.db('publishers').insert({ slug: 'p', name: 'P', created_at: new Date().toISOString() });
  });
  after(async () => {
    await t.close();
  });

  test('findNul finds the first text cell with U+0000', () => {
    assert.equal(findNul([[1, 'a'], [2, null]]), undefined);
    assert.deepEqual(findNul([[1, 'a'], [2, 'b\u0000c'], [3, '\u0000']]), { row: 1, column: 1 });
  });

  test('insertRows refuses a NUL with a 400 naming the row and column, and writes nothing of that batch', async () => {
    await createDataTable(t.db, 'rel_990001', columns);
    await insertRows(t.db, 'rel_990001', columns, [[1, 'one'], [2, 'two']]);
    const bad: CellValue[][] = [[3, 'three'], [4, 'fo\u0000ur']];
    await assert.rejects(insertRows(t.db, 'rel_990001', columns, bad), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.equal(e.status, 400);
      assert.match(e.message, /Row 4, column "label".*NUL/);
      return true;
    });
    const { rows } = await readRowBatch(t.db, 'rel_990001', columns, 0, 10);
    assert.deepEqual(rows, [[1, 'one'], [2, 'two']]);
  });

  test('publishing a release with a NUL is refused and leaves no trace', async () => {
    const rows: CellValue[][] = Array.from({ length: 30 }, (_, i) => [i + 1, i === 24 ? 'bad\u0000' : `ok ${i}`]);
    await assert.rejects(publishTestDataset(t.db, 'nul-test', columns, [rows.slice(0, 10), rows.slice(10)]), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.match((e as Error).message, /Row 25, column "label"/);
      return true;
    });
    const releases = await t.db('releases').count({ n: '*' });
    assert.equal(Number(releases[0].n), 0);
    const tables = await Promise.all([1, 2, 3].map((i) => dataTableExists(t.db, `rel_${i}`)));
    assert.deepEqual(tables, [false, false, false]);
  });
});

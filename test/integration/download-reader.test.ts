import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { readReleaseBatches, countReleaseRows, type ReleaseRead } from '../../src/db/release-reader';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { publishTestDataset } from '../http/download-fixtures';

/** Keyset reads of release tables: sorting with nulls last, ties by row, offsets, on both databases. */
describe('release reader', () => {
  let t: TestApp;
  let table: string;
  const columns: ColumnSchema[] = [
    { name: 'id', type: 'integer' },
    { name: 'word', type: 'string' },
    { name: 'score', type: 'number' },
    { name: 'ok', type: 'boolean' },
  ];
  const rows: CellValue[][] = Array.from({ length: 257 }, (_, i) => [i + 1, i % 7 === 0 ? null : ['b', 'A', 'a', 'B', 'c'][i % 5] + (i % 3), i % 11 === 0 ? null : (i * 37) % 19, i % 2 === 0]);
  before(async () => {
    t = await createTestApp({ demo: false });
    await t.db('publishers').insert({ slug: 'p', name: 'P', created_at: new Date().toISOString() });
    table = `rel_${(await publishTestDataset(t.db, 'reader-test', columns, [rows])).releaseId}`;
  });
  after(async () => {
    await t.close();
  });

  async function read(r: Partial<ReleaseRead>, batch: number): Promise<CellValue[][]> {
    const out: CellValue[][] = [];
    for await (const b of readReleaseBatches(t.db, { table, columns, select: [0, 1, 2, 3], filters: [], ...r }, batch)) out.push(...b);
    return out;
  }

  const cmp = (col: number, desc: boolean) => (a: CellValue[], b: CellValue[]) => {
    const x = a[col];
    const y = b[col];
    if (x === null && y === null) return (a[0] as number) - (b[0] as number);
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return (desc ? -c : c) || (a[0] as number) - (b[0] as number);
  };

  test('sorts ascending and descending with nulls last and ties in row order, across batches', async () => {
    for (const [col, desc] of [[1, false], [1, true], [2, false], [2, true], [3, true]] as const) {
      const got = await read({ sort: { column: col, desc } }, 10);
      assert.deepEqual(got, [...rows].sort(cmp(col, desc)), `column ${col} desc=${desc}`);
    }
  });

  test('offset, limit and filters', async () => {
    const sorted = [...rows].sort(cmp(2, false));
    assert.deepEqual(await read({ sort: { column: 2, desc: false }, offset: 240, limit: 12 }, 5), sorted.slice(240, 252));
    assert.deepEqual(await read({ offset: 100, limit: 7 }, 3), rows.slice(100, 107));
    const f: ReleaseRead['filters'] = [{ column: 2, op: 'gte', value: 10 }, { column: 3, op: 'eq', value: true }];
    const expected = rows.filter((r) => r[2] !== null && (r[2] as number) >= 10 && r[3] === true);
    assert.deepEqual(await read({ filters: f }, 4), expected);
    assert.equal(await countReleaseRows(t.db, { table, columns, select: [0], filters: f }), expected.length);
    assert.deepEqual(await read({ filters: [{ column: 1, op: 'isnull', value: true }], select: [0] }, 8), rows.filter((r) => r[1] === null).map((r) => [r[0]]));
    const withId = await read({ withRowId: true, limit: 2, select: [1] }, 8);
    assert.deepEqual(withId, [[1, rows[0][1]], [2, rows[1][1]]]);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { csvLine, escapeFormula } from '../../src/downloads/csv';
import { parseDownloadQuery } from '../../src/downloads/download-query';
import { csvRowsWriter, serializerFor } from '../../src/downloads/serializers';

const columns: ColumnSchema[] = [
  { name: 'text', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'x', type: 'number' },
  { name: 'b', type: 'boolean' },
  { name: 'd', type: 'date' },
];

const cell = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme-ascii' }), fc.string(), fc.constantFrom('=1', '+2', '-3', '@a', '\ttab', ' sp', 'sp ', 'a,b', 'q"q', 'l\nf'));
const row = fc.tuple(cell, fc.option(fc.integer()), fc.option(fc.double()), fc.option(fc.boolean()), fc.option(fc.constantFrom('2026-01-01', '=2026')));

describe('download serializers', () => {
  test('the fast CSV writer is byte for byte the canonical csvLine', () => {
    const fast = csvRowsWriter(columns);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const typed = rows as CellValue[][];
        assert.equal(fast(typed), typed.map((r) => csvLine(r, columns)).join(''));
      }),
      { numRuns: 500 },
    );
  });

  test('JSON and NDJSON round-trip the values (non-finite numbers become null)', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 10 }), (rows) => {
        const typed = rows as CellValue[][];
        const expected = typed.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, typeof r[i] === 'number' && !Number.isFinite(r[i]) ? null : Object.is(r[i], -0) ? 0 : r[i]])));
        const j = serializerFor('json', columns);
        assert.deepEqual(JSON.parse(j.start() + j.batch(typed) + j.end()), expected);
        const n = serializerFor('ndjson', columns);
        const text = n.batch(typed);
        assert.deepEqual(text ? text.trimEnd().split('\n').map((l) => JSON.parse(l)) : [], expected);
      }),
    );
  });

  test('formula escaping covers =, +, -, @, tab, CR, LF and NUL', () => {
    for (const s of ['=', '+', '-', '@', '\t', '\r', '\n', '\0']) assert.equal(escapeFormula(s + 'x'), "'" + s + 'x');
    assert.equal(escapeFormula('x=1'), 'x=1');
  });

  test('query parsing names the bad parameter and normalises for ETags', () => {
    assert.throws(() => parseDownloadQuery({ nope: '1' }, columns), /"nope"/);
    assert.throws(() => parseDownloadQuery({ n__gt: 'x' }, columns), /"n__gt".*whole number/);
    assert.throws(() => parseDownloadQuery({ b__gt: 'true' }, columns), /"b__gt"/);
    assert.throws(() => parseDownloadQuery({ d: '26/11/2026' }, columns), /"d".*date/);
    const a = parseDownloadQuery({ limit: '5', n__gte: '1', columns: 'n,text' }, columns);
    const b = parseDownloadQuery({ columns: 'n,text', n__gte: '01', limit: '5' }, columns);
    assert.equal(a.canonical, b.canonical);
    assert.deepEqual(a.select, [1, 0]);
    assert.equal(parseDownloadQuery({ bom: '1' }, columns).shaped, false);
    assert.equal(parseDownloadQuery({ text__exact: 'a' }, columns).filters[0].op, 'eq');
  });
});

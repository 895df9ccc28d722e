import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { csvLine, escapeFormula } from '../../src/downloads/csv';
import { parseDownloadQuery } from '../../src/downloads/download-query';
import { ChunkWriter } from '../../src/downloads/chunk-writer';
import { csvRowsWriter, serializerFor, writeNumber } from '../../src/downloads/serializers';

const columns: ColumnSchema[] = [
  { name: 'text', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'x', type: 'number' },
  { name: 'b', type: 'boolean' },
  { name: 'd', type: 'date' },
];

const cell = fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme-ascii' }), fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('=1', '+2', '-3', '@a', '\ttab', ' sp', 'sp ', 'a,b', 'q"q', 'l\nf'));
const decimal = fc.integer({ min: -1e12, max: 1e12 }).map((k) => k / 100);
const row = fc.tuple(cell, fc.option(fc.integer()), fc.option(fc.oneof(fc.double(), decimal)), fc.option(fc.boolean()), fc.option(fc.constantFrom('2026-01-01', '=2026')));

describe('download serializers', () => {
  test('the fast CSV writer is byte for byte the canonical csvLine', () => {
    const fast = csvRowsWriter(columns);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), fc.integer({ min: 16, max: 4096 }), (rows, chunk) => {
        const typed = rows as CellValue[][];
        const out = new ChunkWriter(chunk);
        fast(typed, out);
        assert.deepEqual(out.toBuffer(), Buffer.from(typed.map((r) => csvLine(r, columns)).join(''), 'utf8'));
      }),
      { numRuns: 1000 },
    );
  });

  test('numbers are written exactly as String() prints them', () => {
    const check = (v: number) => {
      const out = new ChunkWriter(64);
      writeNumber(out, v);
      assert.equal(out.toBuffer().toString('latin1'), String(v), `${v}`);
    };
    for (const v of [0, -0, 1, -1, 0.01, -0.01, 0.1, 0.05, 0.5, 1.5, 10.25, 999999999.99, 1e9, 2 ** 31, -(2 ** 31), 2 ** 53, 1e21, 1e-7, 0.001, 0.30000000000000004, 123.45]) check(v);
    fc.assert(fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.integer({ min: -1e13, max: 1e13 }).map((k) => k / 100), fc.integer({ min: -1e6, max: 1e6 }).map((k) => k / 10)), check), { numRuns: 5000 });
  });

  test('the chunk writer encodes text exactly as Buffer.from, across chunk boundaries', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme-ascii' }));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (parts, size) => {
        const out = new ChunkWriter(size);
        for (const p of parts) out.text(p);
        out.flush();
        const chunks = out.take();
        for (const c of chunks) assert.ok(c.length <= size || parts.some((p) => p.length * 3 > size));
        assert.deepEqual(Buffer.concat(chunks), Buffer.concat(parts.map((p) => Buffer.from(p, 'utf8'))));
      }),
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

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { detectEncoding } from '../../src/ingest/csv-input';
import { candidateDelimiters, sniffDelimiter } from '../../src/ingest/delimiter-sniff';
import { normaliseHeader } from '../../src/ingest/import-rows';
import { convertValue, inferColumnType, parseDate, parseDateTime } from '../../src/ingest/type-inference';

/** Pure parts of CSV import: delimiter sniffing, type inference, header rules, encoding detection. */

const alphabet = ['a', 'b', 'Z', ' ', '1', '0', 'é', '€', ',', ';', '\t', '|', '"', '\n', '\r\n'];
const field = fc.array(fc.constantFrom(...alphabet), { maxLength: 8 }).map((a) => a.join(''));

/** A careful writer: quotes any field holding a delimiter candidate, a quote or a line break. */
function writeCsv(rows: string[][], d: string): string {
  const quote = (f: string) => (/[,;\t|"\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  return rows.map((r) => r.map(quote).join(d)).join('\r\n') + '\r\n';
}

describe('delimiter sniffing', () => {
  test('round trip: a table written with any candidate delimiter is sniffed back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((cols) => fc.array(fc.array(field, { minLength: cols, maxLength: cols }), { minLength: 2, maxLength: 12 })),
        fc.constantFrom(...candidateDelimiters),
        (rows, d) => {
          assert.equal(sniffDelimiter(writeCsv(rows, d), { complete: true }), d);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('real-world cases', () => {
    assert.equal(sniffDelimiter('nom;prix\r\nCafé;3,50\r\nThé;2,00\r\n', { complete: true }), ';');
    assert.equal(sniffDelimiter('a\tb\n1\t2, 3\n', { complete: true }), '\t');
    assert.equal(sniffDelimiter('just one column\nvalue\n', { complete: true }), ',');
  });
});

describe('type inference', () => {
  test('never loses a leading zero, a plus sign or digits: numbers round-trip to the same text', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[-+]?[0-9]{1,20}(\.[0-9]{1,4})?$/), { minLength: 1, maxLength: 20 }), (values) => {
        const type = inferColumnType(values);
        if (type === 'integer') for (const v of values) assert.equal(String(convertValue(v, type)), v.trim());
        if (values.some((v) => /^[-+]?0[0-9]/.test(v) || v.startsWith('+'))) assert.equal(type, 'string');
        if (type === 'number') for (const v of values) assert.equal(Number(convertValue(v, type)), Number(v));
      }),
    );
  });

  test('the most specific type wins; UK dates become ISO', () => {
    assert.equal(inferColumnType(['1', '22', '-3', '']), 'integer');
    assert.equal(inferColumnType(['1', '2.5']), 'number');
    assert.equal(inferColumnType(['007', '8']), 'string');
    assert.equal(inferColumnType(['Yes', 'no', 'TRUE']), 'boolean');
    assert.equal(inferColumnType(['01/02/2026', '2026-03-04']), 'date');
    assert.equal(inferColumnType(['31/02/2026']), 'string', 'no 31 February');
    assert.equal(inferColumnType(['2026-10-01T10:00:00Z', '2026-10-01 11:30']), 'datetime');
    assert.equal(inferColumnType(['', ' ']), 'string');
    assert.equal(parseDate('04/03/2026'), '2026-03-04');
    assert.equal(parseDateTime('2026-10-01 11:30'), '2026-10-01T11:30:00');
    assert.equal(parseDateTime('2026-10-01T11:30:00+0100'), '2026-10-01T11:30:00+01:00');
    assert.equal(convertValue('=1+2', 'string'), '=1+2');
  });
});

describe('headers and encodings', () => {
  test('blank and duplicate headers are named; prototype names are kept as plain names', () => {
    const h = normaliseHeader(['id', '', 'id', '__proto__', 'constructor', 'ID'], { maxColumns: 10, maxFieldBytes: 100 });
    assert.deepEqual(h.names, ['id', 'column_2', 'id_2', '__proto__', 'constructor', 'ID_3']);
    assert.equal(h.warnings.length, 3);
    assert.throws(() => normaliseHeader(['a', 'b', 'c'], { maxColumns: 2, maxFieldBytes: 100 }), /Row 1, column 3: the header has 3 columns; the limit is 2/);
  });

  test('BOMs, strict UTF-8 and legacy 8-bit text are told apart', () => {
    assert.deepEqual(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), true), { encoding: 'utf-8', bomLength: 3 });
    assert.deepEqual(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]), true), { encoding: 'utf-16le', bomLength: 2 });
    assert.deepEqual(detectEncoding(Buffer.from([0xfe, 0xff, 0x00, 0x61]), true), { encoding: 'utf-16be', bomLength: 2 });
    assert.equal(detectEncoding(Buffer.from('Café,€\n', 'utf8'), true).encoding, 'utf-8');
    assert.equal(detectEncoding(Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x2c, 0x80, 0x0a]), true).encoding, 'windows-1252');
    // A multi-byte character cut at the end of a partial sample is not an error.
    assert.equal(detectEncoding(Buffer.from('abcé', 'utf8').subarray(0, 4), false).encoding, 'utf-8');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { CsvScanner } from '../../src/ingest/csv-scan';

/**
 * The import's byte scanner gives exactly what csv-parse gave with the options Plaza used before
 * (same records, or the same error at the same record and column) for any bytes, any delimiter,
 * any row limit and any way of cutting the input into chunks.
 */

type Outcome = { records: string[][]; error?: { code: string; records: number; column: number } };

function reference(input: Buffer, delimiter: string, maxRecordBytes: number): Outcome {
  const records: string[][] = [];
  try {
    parse(input, {
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: maxRecordBytes,
      on_record: (r: string[]) => {
        records.push(r);
        return r;
      },
    });
    return { records };
  } catch (e) {
    const err = e as { code: string; records: number; column: number };
    return { records, error: { code: err.code, records: err.records, column: err.column } };
  }
}

function scan(input: Buffer, delimiter: string, maxRecordBytes: number, cuts: number[]): Outcome {
  const s = new CsvScanner({ delimiter, maxRecordBytes });
  const records: string[][] = [];
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (input.length + 1)).sort((a, b) => a - b), input.length]) {
    s.push(input.subarray(at, Math.max(at, cut)), records);
    at = Math.max(at, cut);
  }
  s.end(records);
  const f = s.failure;
  return f ? { records, error: { code: f.code, records: f.records, column: f.column } } : { records };
}

const tokens = ['"', '"', '""', ',', ';', '\t', '|', '\r', '\n', '\r\n', 'a', 'bc', ' ', 'é', '€', '\0', 'x"y', '\uFEFF']
  .map((t) => Buffer.from(t, 'utf8'))
  .concat([Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82])]);
const bytes = fc.array(fc.constantFrom(...tokens), { maxLength: 60 }).map((parts) => Buffer.concat(parts));
const delimiter = fc.constantFrom(',', ';', '\t', '|');
const limit = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('CSV byte scanner', () => {
  test('gives the same records and errors as csv-parse for any input and any chunking', () => {
    fc.assert(
      fc.property(bytes, delimiter, limit, cuts, (input, d, max, c) => {
        assert.deepEqual(scan(input, d, max, c), reference(input, d, max));
      }),
      { numRuns: 20000 },
    );
  });

  test('the same for CSV-shaped input: rows of quoted and unquoted fields', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
      fc.constantFrom('"a,b"', '"line\nbreak"', '"x""y"', '""', '"open', 'mid"quote', '"a"b'),
    );
    const row = fc.array(field, { minLength: 1, maxLength: 5 });
    const csv = fc.tuple(fc.array(row, { minLength: 1, maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), delimiter).map(([rows, eol, d]) => ({
      text: rows.map((r) => r.join(d)).join(eol),
      d,
    }));
    fc.assert(
      fc.property(csv, limit, cuts, ({ text, d }, max, c) => {
        const input = Buffer.from(text, 'utf8');
        assert.deepEqual(scan(input, d, max, c), reference(input, d, max));
      }),
      { numRuns: 5000 },
    );
  });

  test('examples', () => {
    const r = (text: string, max = 0) => scan(Buffer.from(text), ',', max, []);
    assert.deepEqual(r('a,b\r\n1,"x, ""y""\r\nz"\n\n2,\r3').records, [['a', 'b'], ['1', 'x, "y"\r\nz'], ['2', ''], ['3']]);
    assert.deepEqual(r('a,"b"c,d"e\n').records, [['a', '"b"c', 'd"e']]);
    assert.deepEqual(r('a\n""\n').records, [['a'], ['']]);
    assert.deepEqual(r('a,b\n1,"open').error, { code: 'CSV_QUOTE_NOT_CLOSED', records: 1, column: 1 });
    assert.deepEqual(r('a,b\n1,2222222\n', 6).error, { code: 'CSV_MAX_RECORD_SIZE', records: 1, column: 1 });
  });

  test('a huge field is refused at the row limit without holding more than about the limit', () => {
    const s = new CsvScanner({ delimiter: ',', maxRecordBytes: 1 << 20 });
    const out: string[][] = [];
    s.push(Buffer.from('id,blob\n1,"'), out);
    const block = Buffer.alloc(64 * 1024, 'x');
    let fed = 0;
    while (!s.failure && fed < 64 << 20) {
      s.push(block, out);
      fed += block.length;
    }
    assert.equal(s.failure?.code, 'CSV_MAX_RECORD_SIZE');
    assert.ok(fed <= (1 << 20) + 2 * block.length, `stopped after ${fed} bytes`);
    assert.deepEqual(out, [['id', 'blob']]);
  });
});

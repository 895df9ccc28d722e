import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyError, runPolicy, type Cell, type ColumnMeta } from '../../../src/privacy';

const columns: ColumnMeta[] = [
  { name: 'household', type: 'string', role: 'direct_identifier' },
  { name: 'district', type: 'string', role: 'quasi_identifier' },
  { name: 'day', type: 'string', role: 'time' },
  { name: 'kwh', type: 'number', role: 'measure' },
];

const policy = (min: number) => ({
  version: 1 as const,
  seed: 's',
  steps: [
    {
      op: 'aggregate' as const,
      groupBy: ['district', 'day'],
      measures: [
        { fn: 'count_distinct' as const, column: 'household', as: 'households' },
        { fn: 'sum' as const, column: 'kwh', as: 'total_kwh' },
      ],
      minGroupSize: { measure: 'households', min },
    },
  ],
});

const rowsArb = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom('AT1', 'AT2', 'AT3'), fc.constantFrom('2026-10-01', '2026-10-02'), fc.integer({ min: 0, max: 1000 })),
  { maxLength: 300 },
);

describe('aggregate with a minimum group size', () => {
  test('no published group has fewer distinct households than the minimum, and every large enough group is published', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 1, max: 12 }), (raw, min) => {
        const rows: Cell[][] = raw.map(([h, d, day, k]) => [`HH${h}`, d, day, k / 10]);
        const out = runPolicy(policy(min), { columns, rows });
        const expected = new Map<string, Set<string>>();
        for (const r of rows) {
          const key = `${String(r[1])}|${String(r[2])}`;
          if (!expected.has(key)) expected.set(key, new Set());
          expected.get(key)!.add(String(r[0]));
        }
        const big = [...expected.entries()].filter(([, s]) => s.size >= min);
        assert.equal(out.rows.length, big.length);
        for (const r of out.rows) {
          assert.ok(Number(r[2]) >= min, 'published group below the minimum');
          assert.equal(Number(r[2]), expected.get(`${String(r[0])}|${String(r[1])}`)!.size);
        }
        assert.equal(out.report.table?.primarySuppressed, expected.size - big.length);
        if (out.rows.length) assert.equal(out.report.table?.smallestPublishedCount, Math.min(...out.rows.map((r) => Number(r[2]))));
        assert.equal(out.columns.some((c) => c.name === 'household'), false, 'the household column is not published');
      }),
      { numRuns: 150 },
    );
  });

  test('the statement says what was left out', () => {
    const rows: Cell[][] = [['a', 'AT1', 'd1', 1], ['b', 'AT1', 'd1', 2], ['c', 'AT2', 'd1', 3]];
    const out = runPolicy(policy(2), { columns, rows });
    assert.match(out.statement, /published only where households is at least 2/);
    assert.match(out.statement, /1 smaller group was left out/);
  });

  test('a minimum on a column that is not a measure is refused', () => {
    const bad = policy(2);
    bad.steps[0].minGroupSize.measure = 'district';
    assert.throws(() => runPolicy(bad, { columns, rows: [['a', 'AT1', 'd1', 1]] }), PolicyError);
  });
});

describe('protected tables never publish a rare category as a label', () => {
  const cols: ColumnMeta[] = [
    { name: 'ward', type: 'string', role: 'quasi_identifier' },
    { name: 'reason', type: 'string', role: 'sensitive' },
  ];
  test('every published label of a dimension is held by at least the threshold of input records (or is "Other" / "Total")', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F'), fc.constantFrom('x', 'y', 'z', 'w')), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 2, max: 12 }),
        (raw, min) => {
          const out = runPolicy(
            { version: 1, seed: 's', steps: [{ op: 'protect-table', dimensions: ['ward', 'reason'], rules: [{ type: 'threshold', min }], secondary: false }] },
            { columns: cols, rows: raw.map((r) => [...r]) },
          );
          for (const [d, col] of [[0, 0], [1, 1]] as const) {
            const counts = new Map<string, number>();
            for (const r of raw) counts.set(r[col], (counts.get(r[col]) ?? 0) + 1);
            for (const row of out.rows) {
              const label = String(row[d]);
              if (label === 'Other' || label === 'Total') continue;
              assert.ok((counts.get(label) ?? 0) >= min, `label ${label} held by ${counts.get(label)} < ${min}`);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

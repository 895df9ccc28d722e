import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { distinctPerClass, groupRows, microdataRisk, type Cell } from '../../../src/privacy';
import { cellKey } from '../../../src/privacy/table.model';
import { measureClasses } from '../../../src/publishing/release-evidence';

/** Small, clashing values: numbers and the same digits as text, empty text and null. */
const cell: fc.Arbitrary<Cell> = fc.oneof(fc.constantFrom<Cell>(null, '', '1', 'a', 'b', 1, 2, 0, -0, Number.NaN), fc.integer({ min: 0, max: 3 }));
const table = fc.integer({ min: 1, max: 4 }).chain((width) => fc.record({ width: fc.constant(width), rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 60 }) }));

/** The reference: classes by a key string per row, ids in first-seen order. */
function naive(rows: Cell[][], columns: number[], key: (v: Cell) => string): { classOf: number[]; count: number } {
  const ids = new Map<string, number>();
  const classOf = rows.map((r) => {
    const k = JSON.stringify(columns.map((j) => key(r[j])));
    if (!ids.has(k)) ids.set(k, ids.size);
    return ids.get(k)!;
  });
  return { classOf, count: ids.size };
}

describe('grouping rows without key strings (fast-check)', () => {
  test('groupRows and distinctPerClass equal grouping by joined keys, for text keys and for typed keys', () => {
    const typed = (v: Cell) => JSON.stringify(v);
    fc.assert(fc.property(table, fc.nat(), ({ width, rows }, pick) => {
      const columns = Array.from({ length: width }, (_, j) => j).filter((j) => (pick >> j) & 1);
      for (const [keyOf, key] of [[undefined, cellKey], [(v: Cell) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), typed]] as const) {
        const got = groupRows(rows, columns, keyOf);
        const want = naive(rows, columns, key);
        assert.deepEqual({ classOf: Array.from(got.classOf), count: got.count }, want);
        const distinct = Array.from(distinctPerClass(rows, got.classOf, got.count, width - 1, keyOf));
        const sets = Array.from({ length: want.count }, () => new Set<string>());
        rows.forEach((r, i) => sets[want.classOf[i]].add(key(r[width - 1])));
        assert.deepEqual(distinct, sets.map((s) => s.size));
      }
      return true;
    }), { numRuns: 300, seed: 17 });
  });

  test('the gate\'s measureClasses equals a count by JSON keys; the risk report\'s classes equal a count by text keys', () => {
    fc.assert(fc.property(table, ({ width, rows }) => {
      const columns = Array.from({ length: width }, (_, j) => ({ name: `c${j}`, type: 'string' as const, role: j === width - 1 && width > 1 ? ('sensitive' as const) : ('quasi_identifier' as const) }));
      const qi = columns.map((c, j) => (c.role === 'quasi_identifier' ? j : -1)).filter((j) => j >= 0);
      const sens = columns.map((c, j) => (c.role === 'sensitive' ? j : -1)).filter((j) => j >= 0);
      const byJson = naive(rows, qi, (v) => JSON.stringify(v));
      const sizes = new Array<number>(byJson.count).fill(0);
      byJson.classOf.forEach((c) => sizes[c]++);
      const got = measureClasses(columns, rows);
      assert.equal(got.minClassSize, rows.length ? Math.min(...sizes) : Number.MAX_SAFE_INTEGER);
      if (sens.length && rows.length) {
        const sets = Array.from({ length: byJson.count }, () => new Set<string>());
        rows.forEach((r, i) => sets[byJson.classOf[i]].add(String(r[sens[0]])));
        assert.equal(got.minDistinctL, Math.min(...sets.map((s) => s.size)));
      }
      const risk = microdataRisk(rows, qi, [], 2);
      const byText = naive(rows, qi, cellKey);
      assert.equal(risk.classes, byText.count);
      return true;
    }), { numRuns: 300, seed: 19 });
  });
});

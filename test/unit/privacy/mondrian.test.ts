import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mondrian } from '../../../src/privacy';

describe('Mondrian', () => {
  test('every partition has >= k records and covers its rows (strict and relaxed)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { minLength: 10, maxLength: 300 }),
      fc.integer({ min: 1, max: 10 }), fc.constantFrom<'strict' | 'relaxed'>('strict', 'relaxed'), fc.boolean(),
      (rows, k, mode, withL) => {
        fc.pre(k <= rows.length);
        const columns = [0, 1].map((j) => Float64Array.from(rows, (r) => r[j]));
        const ids = Int32Array.from(rows, (r) => r[2]);
        const values = ['0', '1', '2'];
        const counts = new Int32Array(3);
        ids.forEach((v) => { counts[v]++; });
        const distinct = counts.filter((c) => c > 0).length;
        const criteria = withL && distinct >= 2 ? [{ type: 'distinct-l' as const, column: 's', l: 2 }] : [];
        const r = mondrian({ columns, n: rows.length, sensitive: [{ column: 's', ids, domain: { values, counts, rank: Int32Array.from([0, 1, 2]) } }] }, { k, mode, criteria });
        const members = Array.from({ length: r.partitions }, () => [] as number[]);
        r.partitionOf.forEach((p, i) => members[p].push(i));
        members.forEach((m, p) => {
          assert.ok(m.length >= k);
          assert.equal(m.length, r.sizes[p]);
          for (const i of m) for (let j = 0; j < 2; j++) assert.ok(columns[j][i] >= r.lo[j][p] && columns[j][i] <= r.hi[j][p]);
          if (criteria.length) assert.ok(new Set(m.map((i) => ids[i])).size >= 2);
        });
        if (mode === 'strict') {
          for (let a = 0; a < r.partitions; a++) for (let b = a + 1; b < r.partitions; b++) {
            const overlap = [0, 1].every((j) => r.lo[j][a] <= r.hi[j][b] && r.lo[j][b] <= r.hi[j][a]);
            const sameBox = [0, 1].every((j) => r.lo[j][a] === r.hi[j][a] && r.lo[j][b] === r.hi[j][b] && r.lo[j][a] === r.lo[j][b]);
            assert.ok(!overlap || !sameBox);
          }
        }
      }), { numRuns: 100, seed: 7 });
  });
  test('cuts a large uniform table into many small partitions', () => {
    const n = 20000;
    const columns = [0, 1, 2].map((j) => Float64Array.from({ length: n }, (_, i) => ((i * (j + 7919)) % 1000)));
    const r = mondrian({ columns, n }, { k: 10, mode: 'relaxed' });
    assert.ok(r.partitions > n / 40);
    assert.ok(Math.min(...r.sizes) >= 10);
  });
});

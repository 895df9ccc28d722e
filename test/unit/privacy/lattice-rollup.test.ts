import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeLattice, hierarchyFromRows, searchOptimalGeneralisation, type Hierarchy, type Metric } from '../../../src/privacy';
import { baseUnits, NodeEvaluator, type LatticeData, type NodeStats } from '../../../src/privacy/global-recoding.lattice';
import { KeyIndex, KeyIndex32 } from '../../../src/privacy/key-index';

/** A nesting hierarchy over 0..size-1: level l groups values by ⌊v / width_l⌋, then '*'. */
function bandHierarchy(column: string, size: number, widths: number[]): Hierarchy {
  return hierarchyFromRows(column, Array.from({ length: size }, (_, v) => [String(v), ...widths.map((w) => `${Math.floor(v / w)}/${w}`), '*']));
}

/** Random columns with random nesting hierarchies (band widths are multiples of each other). */
const table = fc.record({
  shapes: fc.array(fc.record({ size: fc.integer({ min: 1, max: 40 }), steps: fc.array(fc.integer({ min: 2, max: 4 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 4 }),
  seed: fc.array(fc.nat(), { minLength: 20, maxLength: 120 }),
  k: fc.integer({ min: 1, max: 5 }),
  sensitive: fc.boolean(),
}).map(({ shapes, seed, k, sensitive }) => {
  const hierarchies = shapes.map((s, j) => {
    const widths: number[] = [];
    let w = 1;
    for (const f of s.steps) { w *= f; widths.push(w); }
    return bandHierarchy(`Q${j}`, s.size, widths);
  });
  const rows = seed.map((x, i) => shapes.map((s, j) => String((x + i * (j + 3)) % s.size)));
  const sens = seed.map((x) => String(x % 3));
  return { hierarchies, rows, k, sensitive, sens };
});

/** Class statistics computed naively from the labels, for comparison. */
function naiveStats(rows: string[][], hs: Hierarchy[], node: number[], k: number): { classes: number; sumSqAll: number; suppressed: number; dmBound: number } {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = r.map((v, j) => hs[j].map.get(v)?.[node[j]]).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let sumSqAll = 0; let suppressed = 0; let dmBound = 0;
  for (const c of counts.values()) { sumSqAll += c * c; dmBound += c * Math.max(k, c); if (c < k) suppressed += c; }
  return { classes: counts.size, sumSqAll, suppressed, dmBound };
}

/** Every node of the lattice, as level vectors. */
function allNodes(heights: number[]): number[][] {
  let out: number[][] = [[]];
  for (const h of heights) out = out.flatMap((p) => Array.from({ length: h }, (_, l) => [...p, l]));
  return out;
}

const comparable = (s: NodeStats): unknown => ({ ...s, lossAll: Array.from(s.lossAll), lossKept: Array.from(s.lossKept) });

describe('roll-up of class histograms (fast-check)', () => {
  test('a node evaluated from any finer node\'s units equals the direct computation from the records', () => {
    fc.assert(fc.property(table, fc.nat(), ({ hierarchies, rows, k, sensitive, sens }, pick) => {
      const data: LatticeData = encodeLattice(hierarchies.map((_, j) => rows.map((r) => r[j])), hierarchies, sensitive ? [sens] : [], sensitive ? ['S'] : []);
      const criteria = sensitive ? [{ type: 'distinct-l' as const, column: 'S', l: 2 }] : [];
      const ev = new NodeEvaluator(data, k, criteria, true);
      const base = baseUnits(data);
      const nodes = allNodes(data.heights);
      const from = nodes[pick % nodes.length];
      const fromUnits = ev.evaluate(base, from, true).units;
      assert.ok(fromUnits !== null);
      for (const node of nodes) {
        if (node.some((l, j) => l < from[j])) continue;
        const direct = ev.evaluate(base, node, false).stats;
        const rolled = ev.evaluate(fromUnits, node, true);
        assert.deepEqual(comparable(rolled.stats), comparable(direct));
        if (!sensitive) {
          const naive = naiveStats(rows, hierarchies, node, k);
          assert.deepEqual({ classes: direct.classes, sumSqAll: direct.sumSqAll, suppressed: direct.suppressed, dmBound: direct.dmBound }, naive);
        }
        // Rolling up twice (from → node → top) still matches.
        const top = data.heights.map((h) => h - 1);
        assert.ok(rolled.units !== null);
        assert.deepEqual(comparable(ev.evaluate(rolled.units, top, false).stats), comparable(ev.evaluate(base, top, false).stats));
      }
      return true;
    }), { numRuns: 60, seed: 7 });
  });

  // Class keys are int32 up to 32 bits (the fast path), doubles up to 53 bits, and grouped tuple by
  // tuple beyond that: each layout must find the exhaustive search's optimum and count like the records.
  for (const { name, columns, size, path } of [
    { name: 'exactly 32 bits (the sign bit in use)', columns: 8, size: 16, path: 'int32' },
    { name: '33 to 53 bits', columns: 7, size: 64, path: 'float' },
    { name: 'more than 53 bits', columns: 10, size: 64, path: 'tuples' },
  ] as const) {
    test(`tables whose class keys need ${name} take the ${path} path and still find the optimum`, () => {
      const bits = Math.log2(size);
      const hs = Array.from({ length: columns }, (_, j) => (j < 1 ? bandHierarchy(`Q${j}`, size, [8]) : bandHierarchy(`Q${j}`, size, [])));
      fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: 0, max: size - 1 }), { minLength: columns, maxLength: columns }), { minLength: 80, maxLength: 120 }),
        fc.constantFrom<Metric>('dm', 'dm-star', 'aecs', 'height', 'loss'), fc.integer({ min: 1, max: 3 }), (raw, metric, k) => {
          // Every column uses its largest value once, so the key width is exactly columns × bits.
          const rows = raw.map((r) => r.map(String));
          rows.push(Array.from({ length: columns }, () => String(size - 1)));
          const data = encodeLattice(hs.map((_, j) => rows.map((r) => r[j])), hs, [], []);
          assert.equal(data.domainSizes.reduce((sum, d) => sum + Math.ceil(Math.log2(d[0])), 0), columns * bits);
          const key = baseUnits(data).key;
          assert.equal(key === null ? 'tuples' : key instanceof Int32Array ? 'int32' : 'float', path);
          const opt = searchOptimalGeneralisation(data, { k, suppressionLimit: 0.5, metric });
          const all = searchOptimalGeneralisation(data, { k, suppressionLimit: 0.5, metric, exhaustive: true });
          assert.deepEqual(opt.levels, all.levels);
          assert.equal(opt.score, all.score);
          const ev = new NodeEvaluator(data, k, []);
          for (const node of [hs.map((h, j) => (j % 2) * (h.height - 1)), hs.map((h, j) => ((j + 1) % 2) * (h.height - 1)), hs.map((h) => h.height - 1)]) {
            const naive = naiveStats(rows, hs, node, k);
            const direct = ev.evaluate(baseUnits(data), node, false).stats;
            assert.deepEqual({ classes: direct.classes, sumSqAll: direct.sumSqAll, suppressed: direct.suppressed, dmBound: direct.dmBound }, naive);
          }
          return true;
        }), { numRuns: 4, seed: 11 });
    });
  }

  test('a hand-built hierarchy that does not nest is refused when rolled up', () => {
    const h: Hierarchy = { column: 'X', height: 3, levelNames: ['value', 'a', 'b'], map: new Map([['1', ['1', 'A', 'P']], ['2', ['2', 'A', 'Q']]]) };
    const data = encodeLattice([['1', '2', '1', '2']], [h], [], []);
    const ev = new NodeEvaluator(data, 1, []);
    const units = ev.evaluate(baseUnits(data), [1], true).units;
    assert.ok(units !== null);
    assert.throws(() => ev.evaluate(units, [2], false), /does not nest/);
  });
});

/** Both hash indexes hand out dense ids in first-seen order, whatever the resets and growth. */
function assertFirstSeenIds(index: { reset(expected: number): void; idOf(key: number): number; size: number }, rounds: { expected: number; keys: number[] }[]): void {
  for (const { expected, keys } of rounds) {
    index.reset(expected);
    const seen = new Map<number, number>();
    for (const key of keys) {
      if (!seen.has(key)) seen.set(key, seen.size);
      assert.equal(index.idOf(key), seen.get(key));
    }
    assert.equal(index.size, seen.size);
  }
}

const rounds = (key: fc.Arbitrary<number>) => fc.array(fc.record({ expected: fc.integer({ min: 0, max: 300 }), keys: fc.array(key, { maxLength: 400 }) }), { maxLength: 8 });

describe('KeyIndex (fast-check)', () => {
  test('dense ids in first-seen order across resets to smaller and larger tables, with growth', () => {
    fc.assert(fc.property(rounds(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }))), (r) => {
      assertFirstSeenIds(new KeyIndex(4), r);
      return true;
    }), { numRuns: 200, seed: 3 });
  });

  test('KeyIndex32: dense ids in first-seen order for any int32 keys, across resets, growth and the tag wrap-around', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(fc.property(rounds(fc.oneof(fc.integer({ min: -20, max: 20 }), int32)), fc.boolean(), (r, nearWrap) => {
      const index = new KeyIndex32(4);
      // Tags are id + base and base only grows; near its limit every pooled table is cleared instead.
      if (nearWrap) (index as unknown as { base: number }).base = 0x3fffffff - 50;
      assertFirstSeenIds(index, r);
      return true;
    }), { numRuns: 300, seed: 5 });
  });
});

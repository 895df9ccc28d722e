import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeLattice, hierarchyFromRows, NodeEvaluator, searchOptimalGeneralisation, microdataRisk, type Metric, type SensitiveCriterion } from '../../../src/privacy';
import { loadAdult } from './adult.fixture';

const adult = loadAdult();
const data = encodeLattice(adult.header.map((_, j) => adult.rows.map((r) => r[j])), adult.hierarchies, [], []);

describe('global recoding on Adult (reference results of shared/data/adult/README.md)', () => {
  const cases: { k: number; s: number; metric: Metric; levels: number[]; score: number; suppressed: number; classes: number }[] = [
    { k: 2, s: 0, metric: 'dm', levels: [1, 1, 1, 1, 3, 2, 2, 1, 1], score: 19399310, suppressed: 0, classes: 90 },
    { k: 5, s: 0.04, metric: 'dm', levels: [0, 0, 1, 2, 3, 2, 2, 1, 1], score: 7220555, suppressed: 105, classes: 356 },
    { k: 5, s: 0, metric: 'aecs', levels: [1, 2, 1, 1, 3, 2, 2, 1, 1], score: 628.375, suppressed: 0, classes: 48 },
  ];
  for (const c of cases) {
    test(`k=${c.k} s=${c.s} ${c.metric}`, () => {
      const r = searchOptimalGeneralisation(data, { k: c.k, suppressionLimit: c.s, metric: c.metric });
      assert.deepEqual(r.levels, c.levels);
      assert.equal(r.score, c.score);
      assert.equal(r.suppressed, c.suppressed);
      assert.equal(r.classes, c.classes);
      assert.ok(r.nodesEvaluated < r.nodesTotal);
    });
  }

  test('the optimised search matches an exhaustive enumeration of all 12,960 nodes (k=5, s=0.04, loss)', () => {
    const opt = searchOptimalGeneralisation(data, { k: 5, suppressionLimit: 0.04, metric: 'loss' });
    const all = searchOptimalGeneralisation(data, { k: 5, suppressionLimit: 0.04, metric: 'loss', exhaustive: true });
    assert.equal(all.nodesEvaluated, 12960);
    assert.deepEqual(opt.levels, all.levels);
    assert.equal(opt.score, all.score);
  });

  test('risk of the original data matches the README', () => {
    const risk = microdataRisk(adult.rows, adult.header.map((_, i) => i), [], 5);
    assert.equal(risk.classes, 19502);
    assert.equal(risk.averageProsecutorRisk, 0.6465751607983555);
    assert.equal(risk.sampleUniques, 15512);
    assert.equal(risk.sampleUniqueShare, 0.5142895033485844);
  });
});

/** A random small table with three QIs (hierarchies of 2-4 levels) and one sensitive column. */
const smallTable = fc.record({
  rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 8, maxLength: 60 }),
  k: fc.integer({ min: 1, max: 6 }),
  s: fc.constantFrom(0, 0.05, 0.2),
  metric: fc.constantFrom<Metric>('dm', 'dm-star', 'aecs', 'height', 'loss'),
  criterion: fc.constantFrom<SensitiveCriterion | null>(null, { type: 'distinct-l', column: 'S', l: 2 }, { type: 'entropy-l', column: 'S', l: 1.5 },
    { type: 'recursive-cl', column: 'S', c: 3, l: 2 }, { type: 't-closeness', column: 'S', t: 0.4, distance: 'equal' }, { type: 't-closeness', column: 'S', t: 0.3, distance: 'ordered' }),
});
const hA = hierarchyFromRows('A', Array.from({ length: 8 }, (_, v) => [String(v), `${v >> 1}x`, `${v >> 2}y`, '*']));
const hB = hierarchyFromRows('B', Array.from({ length: 6 }, (_, v) => [String(v), v < 3 ? 'lo' : 'hi', '*']));
const hC = hierarchyFromRows('C', Array.from({ length: 4 }, (_, v) => [String(v), '*']));

/** Independent re-implementation of the criteria, checked on the published classes. */
function satisfies(c: SensitiveCriterion, members: string[], all: string[]): boolean {
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m, (counts.get(m) ?? 0) + 1);
  const freq = [...counts.values()].sort((a, b) => b - a);
  const n = members.length;
  if (c.type === 'distinct-l') return counts.size >= c.l;
  if (c.type === 'entropy-l') return -freq.reduce((h, f) => h + (f / n) * Math.log(f / n), 0) >= Math.log(c.l) - 1e-9;
  if (c.type === 'recursive-cl') return freq.length >= c.l && freq[0] < c.c * freq.slice(c.l - 1).reduce((a, b) => a + b, 0);
  const domain = [...new Set(all)].sort((a, b) => Number(a) - Number(b));
  const p = domain.map((v) => (counts.get(v) ?? 0) / n);
  const q = domain.map((v) => all.filter((x) => x === v).length / all.length);
  if (c.distance === 'equal') return p.reduce((d, pi, i) => d + Math.abs(pi - q[i]), 0) / 2 <= c.t + 1e-9;
  let cum = 0;
  let d = 0;
  for (let i = 0; i < domain.length - 1; i++) { cum += p[i] - q[i]; d += Math.abs(cum); }
  return domain.length <= 1 || d / (domain.length - 1) <= c.t + 1e-9;
}

describe('global recoding properties (fast-check)', () => {
  test('optimal = exhaustive, and the chosen node meets k, the criterion and the suppression limit', () => {
    fc.assert(fc.property(smallTable, ({ rows, k, s, metric, criterion }) => {
      const cols = [0, 1, 2].map((j) => rows.map((r) => String(r[j])));
      const sens = rows.map((r) => String(r[3]));
      const d = encodeLattice(cols, [hA, hB, hC], [sens], ['S']);
      const criteria = criterion ? [criterion] : [];
      let opt;
      try { opt = searchOptimalGeneralisation(d, { k, suppressionLimit: s, metric, criteria }); } catch (e) {
        assert.throws(() => searchOptimalGeneralisation(d, { k, suppressionLimit: s, metric, criteria, exhaustive: true }));
        return e instanceof Error;
      }
      const all = searchOptimalGeneralisation(d, { k, suppressionLimit: s, metric, criteria, exhaustive: true });
      assert.deepEqual(opt.levels, all.levels);
      assert.equal(opt.score, all.score);
      assert.ok(opt.suppressed <= Math.floor(s * rows.length + 1e-9));
      const { kept } = new NodeEvaluator(d, k, criteria).keptUnits(opt.levels);
      const hs = [hA, hB, hC];
      const classes = new Map<string, string[]>();
      rows.forEach((r, i) => {
        if (!kept[d.rowUnit[i]]) return;
        const key = [0, 1, 2].map((j) => hs[j].map.get(String(r[j]))?.[opt.levels[j]]).join('|');
        classes.set(key, [...(classes.get(key) ?? []), sens[i]]);
      });
      for (const members of classes.values()) {
        assert.ok(members.length >= k);
        if (criterion) assert.ok(satisfies(criterion, members, sens), `${criterion.type} fails on [${members}]`);
      }
      return true;
    }), { numRuns: 150, seed: 42 });
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  auditIntervals, buildProtectedTable, createSeededRandom, frequencyTable, integerRange, protectTable, protectedRows, roundToBase, PRIMARY, PUBLISHED, SECONDARY,
  secondarySuppression, type ColumnMeta,
} from '../../../src/privacy';
import { SHARED_DATA } from './adult.fixture';

const sdc = readFileSync(path.join(SHARED_DATA, 'sdctable', 'microdata1.csv'), 'utf8').split(/\r?\n/).filter(Boolean).slice(1).map((l) => l.split(','));
const sdcColumns: ColumnMeta[] = ['region', 'gender', 'val'].map((name) => ({ name, type: name === 'val' ? 'number' : 'string', role: 'other' }));

describe('sdcTable microdata1 (shared/data/sdctable)', () => {
  const t = buildProtectedTable({ columns: sdcColumns, rows: sdc }, ['region', 'gender']);
  test('the frequency table with totals matches the README', () => {
    assert.deepEqual(t.dims.map((d) => d.values), [['A', 'B', 'C', 'D'], ['female', 'male']]);
    assert.deepEqual([...t.count], [2, 18, 20, 19, 14, 33, 10, 12, 22, 14, 11, 25, 45, 55, 100]);
  });
  test('primary (A, female) needs exactly 3 secondary suppressions: (A, male), (C, female), (C, male)', () => {
    const status = new Uint8Array(t.count.length);
    status[0] = PRIMARY;
    const need = new Float64Array(t.count.length).fill(0);
    need[0] = 1;
    const out = secondarySuppression(t, status, need, t.count);
    const secondary = [...out.keys()].filter((i) => out[i] === SECONDARY);
    assert.deepEqual(secondary, [1, 6, 7]);
    for (const a of auditIntervals(t, out, t.count)) assert.ok(a.max > a.min, `cell ${a.coords} is recoverable`);
  });
});

describe('ONS 10-5 rule, worked example with totals', () => {
  test('counts under 10 hidden, secondary suppression, the rest rounded to 5', () => {
    const t = frequencyTable([{ name: 'ward', values: ['North', 'South', 'East'] }, { name: 'age', values: ['0-17', '18-64', '65+'] }], [3, 40, 12, 25, 61, 18, 14, 33, 7]);
    const r = protectTable(t, { rules: [{ type: 'threshold', min: 10 }], secondary: true, rounding: { base: 5, mode: 'nearest' }, marker: '[c]', audit: true });
    const { rows } = protectedRows(r);
    const get = (w: string, a: string): unknown => rows.find((x) => x[0] === w && x[1] === a)?.[2];
    assert.equal(get('North', '0-17'), '[c]');
    assert.equal(get('East', '65+'), '[c]');
    assert.equal(r.primary, 2);
    assert.equal(r.secondary, 2);
    assert.equal(get('South', '18-64'), 60);
    assert.equal(get('Total', 'Total'), 215);
    for (const v of r.publishedCount) if (v !== null) assert.ok(v % 5 === 0 && (v === 0 || v >= 10));
    assert.ok(r.audit?.every((a) => a.max > a.min));
  });
});

/** Random 1-, 2- or 3-dimensional count tables. */
const tables = fc.integer({ min: 1, max: 3 }).chain((d) => fc.tuple(...Array.from({ length: d }, () => fc.integer({ min: 1, max: d === 3 ? 3 : 5 }))).chain((sizes) =>
  fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 10, max: 80 })), { minLength: sizes.reduce((a, b) => a * b, 1), maxLength: sizes.reduce((a, b) => a * b, 1) })
    .map((counts) => frequencyTable(sizes.map((s, j) => ({ name: `d${j}`, values: Array.from({ length: s }, (_, i) => `v${i}`) })), counts))));

describe('table protection properties (fast-check)', () => {
  test('no published cell in 1..threshold-1, and every hidden cell has a non-degenerate feasible interval', () => {
    fc.assert(fc.property(tables, fc.constantFrom(5, 10), (t, threshold) => {
      const r = protectTable(t, { rules: [{ type: 'threshold', min: threshold }], secondary: true, marker: null, audit: true });
      r.publishedCount.forEach((v) => { if (v !== null) assert.ok(v === 0 || v >= threshold); });
      for (const a of r.audit ?? []) {
        const range = integerRange(a);
        assert.ok(range.max > range.min, `cell ${a.coords} value ${a.value} pinned to [${a.min}, ${a.max}]`);
        assert.ok(a.min <= a.value && a.value <= a.max);
      }
      assert.equal(r.status.filter((s) => s === PUBLISHED).length + r.primary + r.secondary, t.count.length);
    }), { numRuns: 60, seed: 11 });
  });
  test('rounding stays within the base; nearest rounding is deterministic; same seed -> same random rounding', () => {
    fc.assert(fc.property(fc.nat(100000), fc.integer({ min: 1, max: 20 }), fc.string(), (x, base, seed) => {
      const near = roundToBase(x, { base, mode: 'nearest' });
      assert.ok(Math.abs(near - x) * 2 <= base && near % base === 0);
      const a = roundToBase(x, { base, mode: 'random' }, createSeededRandom(seed));
      const b = roundToBase(x, { base, mode: 'random' }, createSeededRandom(seed));
      assert.equal(a, b);
      assert.ok(Math.abs(a - x) < base && a % base === 0);
    }), { numRuns: 200 });
  });
  test('random rounding is unbiased on average', () => {
    const rnd = createSeededRandom('unbiased');
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += roundToBase(7, { base: 5, mode: 'random' }, rnd);
    assert.ok(Math.abs(sum / 4000 - 7) < 0.15);
  });
  test('magnitude rules: dominance and p% flag cells dominated by one contributor', () => {
    const rows = [['a', '1000'], ['a', '10'], ['a', '12'], ['b', '30'], ['b', '40'], ['b', '35'], ['c', '50'], ['c', '60']];
    const t = buildProtectedTable({ columns: [{ name: 'k', type: 'string', role: 'other' }, { name: 'v', type: 'number', role: 'measure' }], rows }, ['k'], 'v');
    const dom = protectTable(t, { rules: [{ type: 'dominance', n: 1, k: 85 }], secondary: true, marker: '*', audit: true });
    assert.equal(dom.status[0], PRIMARY);
    assert.equal(dom.status[1], PUBLISHED);
    const pp = protectTable(t, { rules: [{ type: 'p-percent', p: 10 }], secondary: true, marker: '*', audit: true });
    assert.equal(pp.status[0], PRIMARY);
    assert.ok(pp.audit?.every((a) => a.max - a.value >= 0.1 * 1000 - 22 - 1e-9));
  });
});

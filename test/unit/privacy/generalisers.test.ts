import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  breaksInterval, buildHierarchy, encodeLattice, fixedWidthInterval, generaliseDate, generalisePostcode, gridCell, h3Cell, HierarchyError,
  HierarchyValueMissingError, hierarchyFromRows, parseHierarchyCsv, parsePostcode, topBottomCode, truncateCoordinate,
} from '../../../src/privacy';
import { loadAdult } from './adult.fixture';

describe('numeric generalisers', () => {
  test('fixed width, breaks and top/bottom coding', () => {
    assert.equal(fixedWidthInterval(37, 10, true), '30-39');
    assert.equal(fixedWidthInterval(3.2, 0.5, false), '[3, 3.5)');
    assert.equal(fixedWidthInterval(95, 10, true, 0, undefined, 90), '90+');
    assert.equal(breaksInterval(17, [0, 18, 65], true), '0-17');
    assert.equal(breaksInterval(70, [0, 18, 65], true), '65+');
    assert.equal(breaksInterval(-1, [0, 18, 65], true), '<0');
    assert.equal(topBottomCode(15, 16, 90), '<16');
    assert.equal(topBottomCode(40, 16, 90), null);
  });
  test('interval hierarchies nest for any widths that are multiples', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 50 }), fc.constantFrom([5, 10, 20], [10, 30], [1, 2, 4, 8]), (xs, widths) => {
      const h = buildHierarchy('age', { type: 'interval', widths: [...widths] }, xs);
      assert.equal(h.height, widths.length + 2);
      for (const x of xs) assert.equal(h.map.get(String(x))?.[widths.length + 1], '*');
    }), { numRuns: 50 });
  });
  test('non-multiple widths are refused', () => {
    assert.throws(() => buildHierarchy('age', { type: 'interval', widths: [5, 7] }, [1, 2]), HierarchyError);
  });
});

describe('dates, postcodes, coordinates', () => {
  test('date levels day -> week -> month -> quarter -> year', () => {
    assert.equal(generaliseDate('2024-03-15', 'day'), '2024-03-15');
    assert.equal(generaliseDate('2024-03-15', 'week'), '2024-W11');
    assert.equal(generaliseDate('2024-03-15', 'month'), '2024-03');
    assert.equal(generaliseDate('2024-03-15', 'quarter'), '2024-Q1');
    assert.equal(generaliseDate('2024-03-15T10:00:00Z', 'year'), '2024');
    assert.equal(generaliseDate('2021-01-03', 'week'), '2020-W53');
    assert.throws(() => generaliseDate('2024-02-30', 'day', 'visit_date'), /visit_date/);
  });
  test('a date hierarchy with weeks nests (weeks belong to the month of their Thursday)', () => {
    const days = Array.from({ length: 800 }, (_, i) => new Date(Date.UTC(2023, 0, 1) + i * 86400000).toISOString().slice(0, 10));
    const h = buildHierarchy('d', { type: 'date', levels: ['week', 'month', 'quarter', 'year'] }, days);
    assert.equal(h.height, 6);
    assert.equal(h.map.get('2024-04-30')?.[2], '2024-05');
  });
  test('UK postcodes: validated, cut to sector / district / area', () => {
    assert.deepEqual(parsePostcode('sw1a1aa'), { area: 'SW', district: 'SW1A', sector: 'SW1A 1', unit: 'SW1A 1AA' });
    assert.equal(generalisePostcode('M1 1AE', 'district'), 'M1');
    assert.equal(generalisePostcode('B33 8TH', 'sector'), 'B33 8');
    assert.equal(generalisePostcode('EC1A 1BB', 'area'), 'EC');
    for (const bad of ['12345', 'SW1A', 'QA1 1AA', 'SW1A 1AI', '']) assert.throws(() => parsePostcode(bad, 'home'), /home/);
    const h = buildHierarchy('pc', { type: 'postcode' }, ['SW1A 1AA', 'SW1A 2AB', 'M1 1AE']);
    assert.deepEqual(h.map.get('SW1A 2AB'), ['SW1A 2AB', 'SW1A 2', 'SW1A', 'SW', '*']);
  });
  test('coordinates: truncation, metre grid and H3 nest', () => {
    assert.equal(truncateCoordinate({ lat: 51.50735, lng: -0.12776 }, 2), '51.50,-0.13');
    assert.match(gridCell({ lat: 51.5, lng: -0.12 }, 1000, 51.5), /^51\.\d+,-0\.\d+$/);
    assert.equal(h3Cell({ lat: 51.5, lng: -0.12 }, 7).length, 15);
    const pts = Array.from({ length: 40 }, (_, i) => `${(51.4 + i * 0.0071).toFixed(5)},${(-0.2 + i * 0.0093).toFixed(5)}`);
    for (const spec of [{ type: 'coordinate', scheme: 'grid', steps: [100, 1000, 10000], refLatitude: 51.5 }, { type: 'coordinate', scheme: 'h3', steps: [9, 7, 5] }, { type: 'coordinate', scheme: 'truncate', steps: [4, 2, 1] }] as const) {
      const h = buildHierarchy('loc', { ...spec, steps: [...spec.steps] }, pts);
      assert.equal(h.height, 5);
    }
  });
});

describe('categorical hierarchies from CSV text', () => {
  const adult = loadAdult();
  test('parses the Adult hierarchies with the README level counts', () => {
    assert.deepEqual(adult.hierarchies.map((h) => h.height), [2, 5, 2, 3, 4, 3, 3, 3, 2]);
    const age = parseHierarchyCsv(readFileSync(adult.hierarchyFile('age'), 'utf8'), 'age');
    assert.deepEqual(age.map.get('39'), ['39', '35-39', '30-39', '20-39', '*']);
  });
  test('a value missing from its hierarchy is an error naming value and column', () => {
    const h = hierarchyFromRows('sex', [['Male', '*'], ['Female', '*']]);
    assert.throws(() => encodeLattice([['Male', 'Unknown']], [h], [], []), (e: unknown) => e instanceof HierarchyValueMissingError && /"Unknown"/.test(e.message) && /"sex"/.test(e.message));
  });
  test('non-nesting hierarchies and ragged rows are refused', () => {
    assert.throws(() => hierarchyFromRows('x', [['a', 'A', '1'], ['b', 'A', '2']]), /does not nest/);
    assert.throws(() => parseHierarchyCsv('a;A;*\nb;*\n', 'x'), /row 2/);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BudgetExceededError, PolicyError, runPolicy, type Cell, type ColumnMeta, type PolicyInput } from '../../../src/privacy';

const columns: ColumnMeta[] = [
  { name: 'name', type: 'string', role: 'direct_identifier' },
  { name: 'nhs_number', type: 'string', role: 'direct_identifier' },
  { name: 'age', type: 'integer', role: 'quasi_identifier' },
  { name: 'postcode', type: 'postcode', role: 'quasi_identifier' },
  { name: 'sex', type: 'string', role: 'quasi_identifier' },
  { name: 'diagnosis', type: 'string', role: 'sensitive' },
];
const postcodes = ['SW1A 1AA', 'SW1A 2AB', 'SW1P 3BU', 'M1 1AE', 'M1 2BX', 'M14 5TP', 'B33 8TH', 'B1 1BB'];
const diagnoses = ['asthma', 'diabetes', 'flu', 'fracture'];
/** A deterministic synthetic register of n people. */
function register(n: number): Cell[][] {
  return Array.from({ length: n }, (_, i) => [`Person ${i}`, String(9000000000 + i), 18 + ((i * 37) % 70), postcodes[(i * 7) % postcodes.length], i % 3 === 0 ? 'F' : 'M', diagnoses[(i * 5 + (i >> 3)) % 4]]);
}
const SECRET = 'a-very-secret-key-for-tests';

const microPolicy: PolicyInput = {
  version: 1, seed: 'release-7',
  steps: [
    { op: 'drop', columns: ['name'] },
    { op: 'pseudonymise', columns: ['nhs_number'], secret: 'pseudonym_key', scope: 'release' },
    {
      op: 'k-anonymity', k: 5, suppressionLimit: 0.05, metric: 'loss',
      quasiIdentifiers: [
        { column: 'age', hierarchy: { type: 'interval', widths: [5, 10, 20], unit: 'year' } },
        { column: 'postcode', hierarchy: { type: 'postcode' } },
        { column: 'sex', hierarchy: { type: 'table', rows: [['F', '*'], ['M', '*']] } },
      ],
      criteria: [{ type: 'distinct-l', column: 'diagnosis', l: 2 }],
    },
  ],
};

describe('runPolicy: microdata release', () => {
  const out = runPolicy(microPolicy, { columns, rows: register(400) }, { secrets: { pseudonym_key: SECRET }, releaseId: 'r7' });
  test('meets k and l on the published rows, drops direct identifiers and never leaks the key', () => {
    assert.deepEqual(out.columns.map((c) => c.name), ['nhs_number', 'age', 'postcode', 'sex', 'diagnosis']);
    assert.ok(out.report.after && out.report.after.smallestClass >= 5);
    assert.ok(out.report.after.lDiversity[0].minimumL >= 2);
    assert.ok(out.report.suppressedRecords <= 20);
    assert.deepEqual(out.report.directIdentifiersRemaining, []);
    assert.ok(!JSON.stringify(out).includes(SECRET));
    assert.ok(out.rows.every((r) => typeof r[0] === 'string' && /^[0-9a-f]{32}$/.test(r[0] as string)));
    assert.equal(out.report.before?.records, 400);
    assert.ok(out.report.informationLoss && out.report.informationLoss.generalisationIntensity > 0);
  });
  test('explains itself in plain English', () => {
    assert.match(out.statement, /^Name removed; nhs_number replaced by a code/);
    assert.match(out.statement, /every combination of age, postcode and sex is shared by at least 5 records/);
    assert.match(out.statement, /each group has at least 2 different values of diagnosis/);
  });
  test('same policy + same input -> byte-identical output', () => {
    const again = runPolicy(microPolicy, { columns, rows: register(400) }, { secrets: { pseudonym_key: SECRET }, releaseId: 'r7' });
    assert.equal(JSON.stringify(again), JSON.stringify(out));
  });
  test('pseudonyms are stable within a release; "release" scope does not link releases, "global" does', () => {
    const rows = [['x', 'N1'], ['y', 'N1'], ['z', 'N2']];
    const cols: ColumnMeta[] = [{ name: 'a', type: 'string', role: 'other' }, { name: 'id', type: 'string', role: 'direct_identifier' }];
    const run = (scope: 'release' | 'global', releaseId: string): Cell[] => runPolicy({ version: 1, seed: 's', steps: [{ op: 'pseudonymise', columns: ['id'], secret: 'k', scope }] }, { columns: cols, rows }, { secrets: { k: SECRET }, releaseId }).rows.map((r) => r[1]);
    const r1 = run('release', 'r1');
    assert.equal(r1[0], r1[1]);
    assert.notEqual(r1[0], r1[2]);
    assert.notDeepEqual(run('release', 'r2'), r1);
    assert.deepEqual(run('global', 'r1'), run('global', 'r2'));
  });
  test('object rows are accepted', () => {
    const objs = register(60).map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));
    const r = runPolicy({ ...microPolicy, steps: microPolicy.steps.slice(0, 1) }, { columns, rows: objs });
    assert.equal(r.rows.length, 60);
  });
});

describe('runPolicy: tables and differential privacy', () => {
  test('ONS 10-5 preset: the statement and the report', () => {
    const policy: PolicyInput = {
      version: 1, seed: 't',
      steps: [{ op: 'generalise', column: 'age', hierarchy: { type: 'interval', widths: [10], unit: 'year' }, level: 1 }, { op: 'protect-table', dimensions: ['postcode', 'sex'], preset: 'ons-10-5', audit: true }],
    };
    const r = runPolicy(policy, { columns, rows: register(300) });
    assert.equal(r.statement, 'Age grouped into 10-year bands; counts by postcode and sex are published with totals; counts under 10 hidden; some other cells hidden so that hidden counts cannot be worked out from the totals; counts rounded to the nearest 5.');
    assert.ok(r.report.table?.audit?.allProtected ?? true);
    for (const row of r.rows) { const v = row[2]; assert.ok(v === '[c]' || (typeof v === 'number' && v % 5 === 0 && (v === 0 || v >= 10))); }
  });
  test('DP counts: seeded noise is reproducible, and the budget refuses an over-budget release', () => {
    const policy: PolicyInput = { version: 1, seed: 'dp', steps: [{ op: 'dp-counts', dimensions: ['sex'], categories: { sex: ['F', 'M', 'X'] }, epsilon: '0.5', randomness: 'seeded' }] };
    const a = runPolicy(policy, { columns, rows: register(100) }, { budget: { total: '1', spent: [] }, releaseId: 'r1' });
    const b = runPolicy(policy, { columns, rows: register(100) }, { budget: { total: '1', spent: [] }, releaseId: 'r1' });
    assert.deepEqual(a.rows, b.rows);
    assert.equal(a.rows.length, 3);
    assert.deepEqual(a.budget?.spent, [{ release: 'r1', epsilon: '0.5' }]);
    assert.throws(() => runPolicy(policy, { columns, rows: register(100) }, { budget: { total: '1', spent: [{ release: 'old', epsilon: '0.75' }] }, releaseId: 'r2' }), BudgetExceededError);
  });
  test('invalid policies are refused with the path of the problem', () => {
    assert.throws(() => runPolicy({ version: 1, seed: 'x', steps: [{ op: 'k-anonymity', k: 0, quasiIdentifiers: [] }] }, { columns, rows: [] }), (e: unknown) => e instanceof PolicyError && /steps\.0/.test(e.message));
    assert.throws(() => runPolicy({ version: 1, seed: 'x', steps: [{ op: 'aggregate', groupBy: ['sex'], measures: [{ fn: 'count' }] }, { op: 'drop', columns: ['age'] }] }, { columns, rows: [] }), PolicyError);
    assert.throws(() => runPolicy({ version: 1, seed: 'x', steps: [{ op: 'pseudonymise', columns: ['name'], secret: 'missing' }] }, { columns, rows: register(3) }), /Secret "missing"/);
  });
  test('property: any k and seed give an output meeting k within the suppression limit, identical on re-run', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.string({ minLength: 1 }), fc.integer({ min: 40, max: 200 }), (k, seed, n) => {
      const kStep = microPolicy.steps[2] as Extract<PolicyInput['steps'][number], { op: 'k-anonymity' }>;
      const p: PolicyInput = { ...microPolicy, seed, steps: [microPolicy.steps[0], { ...kStep, k, criteria: [] }] };
      const r1 = runPolicy(p, { columns, rows: register(n) });
      const r2 = runPolicy(p, { columns, rows: register(n) });
      assert.equal(JSON.stringify(r1.rows), JSON.stringify(r2.rows));
      assert.ok(r1.report.suppressedRecords <= Math.floor(0.05 * n));
      if (r1.rows.length > 0) assert.ok((r1.report.after?.smallestClass ?? 0) >= k);
    }), { numRuns: 25, seed: 3 });
  });
});

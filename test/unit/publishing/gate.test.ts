import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { columnRoles, sensitivityLevels } from '../../../src/catalogue/table-schema';
import { evaluateGate, gateChecks, needsSecondSteward, overridableChecks, secondStewardApproved, type GateEvidence, type OutputKind } from '../../../src/publishing/gate';
import { defaultGatePolicy, parseGatePolicy } from '../../../src/publishing/gate-policy';

const p = defaultGatePolicy;
const outputs: OutputKind[] = ['raw', 'microdata', 'table', 'metadata_only'];
const twoPeople = { submitter: 'user:1', approver: 'user:2' };
const safeColumns: GateEvidence['columns'] = [
  { name: 'age_band', role: 'quasi_identifier' },
  { name: 'count', role: 'measure' },
];

const evidenceArb: fc.Arbitrary<GateEvidence> = fc.record({
  level: fc.constantFrom(...sensitivityLevels),
  output: fc.constantFrom(...outputs),
  columns: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 5 }), role: fc.constantFrom(...columnRoles), detectedDirectIdentifier: fc.boolean() }), { maxLength: 5 }),
  microdata: fc.option(fc.record({ minClassSize: fc.integer({ min: 0, max: 20 }), minDistinctL: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) }), { nil: undefined }),
  table: fc.option(
    fc.record({
      minPublishedCount: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
      hiddenCellsProtected: fc.boolean(),
      roundingBase: fc.option(fc.constantFrom(1, 2, 3, 5, 10), { nil: null }),
      dp: fc.option(fc.record({ epsilon: fc.double({ min: 0.01, max: 3, noNaN: true }), budgetRemaining: fc.double({ min: 0, max: 5, noNaN: true }) }), { nil: undefined }),
    }),
    { nil: undefined },
  ),
  household: fc.option(fc.record({ minHouseholdsPerGroup: fc.integer({ min: 1, max: 30 }), resolutionMinutes: fc.constantFrom(30, 60, 1440, 10080) }), { nil: undefined }),
  approvals: fc.option(fc.record({ submitter: fc.constantFrom('user:1', 'user:2'), approver: fc.option(fc.constantFrom('user:1', 'user:2'), { nil: null }) }), { nil: undefined }),
});

describe('publication gate', () => {
  test('levels × outputs: what each level may ever publish', () => {
    for (const level of sensitivityLevels) {
      for (const output of outputs) {
        const best: GateEvidence = {
          level,
          output,
          columns: safeColumns,
          microdata: { minClassSize: 50, minDistinctL: 5 },
          table: { minPublishedCount: 25, hiddenCellsProtected: true, roundingBase: 5 },
          approvals: twoPeople,
        };
        const allowed = evaluateGate(best, p).allowed;
        const expected =
          level === 'public' ? true : level === 'personal' ? output !== 'raw' : level === 'special_category' ? output === 'table' || output === 'metadata_only' : output === 'metadata_only';
        assert.equal(allowed, expected, `${level} × ${output}`);
      }
    }
  });

  test('every failing outcome is caught with its reason', () => {
    const base: GateEvidence = { level: 'personal', output: 'microdata', columns: [...safeColumns, { name: 'benefit', role: 'sensitive' }], microdata: { minClassSize: 5, minDistinctL: 2 }, approvals: twoPeople };
    assert.ok(evaluateGate(base, p).allowed);
    const failing = (e: GateEvidence) => evaluateGate(e, p).checks.filter((c) => !c.passed);
    assert.match(failing({ ...base, microdata: { minClassSize: 4, minDistinctL: 2 } })[0].reason, /smallest group .* has 4; at least 5/);
    assert.match(failing({ ...base, microdata: { minClassSize: 9, minDistinctL: 1 } })[0].reason, /only 1 distinct/);
    assert.match(failing({ ...base, columns: [...base.columns, { name: 'nino', role: 'other', detectedDirectIdentifier: true }] })[0].reason, /Direct identifiers would be published: nino/);
    assert.match(failing({ ...base, approvals: { submitter: 'user:1', approver: 'user:1' } })[0].reason, /The approver submitted this release/);
    assert.match(failing({ ...base, approvals: { submitter: 'user:1', approver: null } })[0].reason, /second steward must approve/);

    const table: GateEvidence = { level: 'special_category', output: 'table', columns: safeColumns, table: { minPublishedCount: 10, hiddenCellsProtected: true, roundingBase: 5 }, approvals: twoPeople };
    assert.ok(evaluateGate(table, p).allowed);
    assert.match(failing({ ...table, table: { ...table.table!, minPublishedCount: 7 } })[0].reason, /count of 7 is below the threshold of 10/);
    assert.match(failing({ ...table, table: { ...table.table!, hiddenCellsProtected: false } })[0].reason, /worked out from the published counts/);
    assert.match(failing({ ...table, table: { ...table.table!, roundingBase: null } })[0].reason, /rounded to a multiple of 5/);
    assert.ok(evaluateGate({ ...table, table: { ...table.table!, roundingBase: 10 } }, p).allowed);
    const dp = { ...table, table: { minPublishedCount: null, hiddenCellsProtected: false, roundingBase: null, dp: { epsilon: 1, budgetRemaining: 2 } } };
    assert.ok(evaluateGate(dp, p).allowed, 'ε ≤ 1 within budget');
    assert.match(failing({ ...dp, table: { ...dp.table, dp: { epsilon: 1.5, budgetRemaining: 2 } } })[0].reason, /exceeds the limit of 1/);
    assert.match(failing({ ...dp, table: { ...dp.table, dp: { epsilon: 0.5, budgetRemaining: 0.2 } } })[0].reason, /remaining privacy budget/);

    const meters: GateEvidence = { level: 'personal', output: 'table', columns: safeColumns, table: { minPublishedCount: 30, hiddenCellsProtected: true, roundingBase: null }, household: { minHouseholdsPerGroup: 10, resolutionMinutes: 1440 }, approvals: twoPeople };
    assert.ok(evaluateGate(meters, p).allowed);
    assert.match(failing({ ...meters, household: { minHouseholdsPerGroup: 9, resolutionMinutes: 1440 } })[0].reason, /at least 10 households/);
    assert.match(failing({ ...meters, household: { minHouseholdsPerGroup: 12, resolutionMinutes: 30 } })[0].reason, /finer than daily needs the households/);
    assert.ok(!evaluateGate({ ...meters, output: 'microdata', microdata: { minClassSize: 50, minDistinctL: null } }, p).allowed, 'meter microdata is never allowed');
  });

  test('only the public direct-identifier check can be overridden, by an admin with a written reason', () => {
    const pub: GateEvidence = { level: 'public', output: 'raw', columns: [{ name: 'supplier_contact', role: 'other', detectedDirectIdentifier: true }] };
    assert.equal(evaluateGate(pub, p).allowed, false);
    assert.equal(evaluateGate(pub, p, [{ check: 'public.no_direct_identifiers', admin: 'user:9', reason: 'too short' }]).allowed, false);
    const v = evaluateGate(pub, p, [{ check: 'public.no_direct_identifiers', admin: 'user:9', reason: 'These are company switchboard numbers, published by law.' }]);
    assert.equal(v.allowed, true);
    assert.equal(v.checks[0].overriddenBy, 'user:9');
  });

  test('property: overrides never unlock an absolute check, and allowed releases meet the floors', () => {
    fc.assert(
      fc.property(evidenceArb, (e) => {
        const everything = [...new Set(evaluateGate(e, p).checks.map((c) => c.id))].map((check) => ({ check, admin: 'user:9', reason: 'a long and careful written reason' }));
        const v = evaluateGate(e, p, everything);
        for (const c of v.checks) if (c.overriddenBy) assert.ok(overridableChecks.has(c.id));
        if (!v.allowed) return;
        if (e.level === 'confidential') assert.equal(e.output, 'metadata_only');
        if (e.level !== 'public' && e.output !== 'metadata_only') {
          assert.ok(e.columns.every((c) => c.role !== 'direct_identifier' && !c.detectedDirectIdentifier));
          assert.ok(e.approvals && e.approvals.approver && e.approvals.approver !== e.approvals.submitter);
          assert.notEqual(e.output, 'raw');
        }
        if (e.level === 'personal' && e.output === 'microdata') assert.ok(e.microdata!.minClassSize >= 5);
        if (e.level === 'special_category' && e.output !== 'metadata_only') assert.equal(e.output, 'table');
        if (e.output === 'table' && e.level !== 'public' && !e.table?.dp) {
          assert.ok(e.table!.minPublishedCount === null || e.table!.minPublishedCount >= 10);
          assert.ok(e.table!.hiddenCellsProtected);
        }
        if (e.household && e.level === 'personal') assert.ok(e.household.minHouseholdsPerGroup >= 10 && e.household.resolutionMinutes >= 1440);
      }),
      { numRuns: 2000 },
    );
  });

  test("approval: 'not-yet' asks for the verdict before approval — every check but the second steward's", () => {
    const microdata: GateEvidence = { level: 'personal', output: 'microdata', columns: safeColumns, microdata: { minClassSize: 50, minDistinctL: null } };
    const required = evaluateGate(microdata, p);
    assert.equal(required.allowed, false);
    assert.deepEqual(required.checks.filter((c) => !c.passed).map((c) => c.id), ['personal.four_eyes']);
    const notYet = evaluateGate(microdata, p, [], { approval: 'not-yet' });
    assert.equal(notYet.allowed, true);
    assert.deepEqual(notYet.checks.map((c) => c.id), ['personal.no_direct_identifiers', 'personal.k_anonymity']);
    assert.equal(secondStewardApproved(notYet, 'personal'), false);
    assert.equal(secondStewardApproved(evaluateGate({ ...microdata, approvals: twoPeople }, p), 'personal'), true);
    assert.equal(secondStewardApproved(evaluateGate({ ...microdata, approvals: { submitter: 'user:1', approver: 'user:1' } }, p), 'personal'), false);
    assert.equal(secondStewardApproved(evaluateGate({ level: 'public', output: 'raw', columns: safeColumns, approvals: twoPeople }, p), 'public'), false, 'public data has no four-eyes check');
    for (const level of sensitivityLevels) {
      for (const output of outputs) {
        const e: GateEvidence = { level, output, columns: safeColumns, microdata: { minClassSize: 50, minDistinctL: 5 }, table: { minPublishedCount: 25, hiddenCellsProtected: true, roundingBase: 5 } };
        const ids = gateChecks(e, p).map((c) => c.id);
        assert.equal(ids.includes(`${level}.four_eyes`), needsSecondSteward(level, output), `${level} × ${output}`);
        assert.equal(ids.filter((id) => id.endsWith('.four_eyes')).length, needsSecondSteward(level, output) ? 1 : 0);
        assert.deepEqual(gateChecks(e, p, { approval: 'not-yet' }).map((c) => c.id), ids.filter((id) => id !== `${level}.four_eyes`));
      }
    }
  });

  test("property: the 'not-yet' verdict is the full verdict without the four-eyes check, overrides included", () => {
    fc.assert(
      fc.property(evidenceArb, fc.boolean(), (e, override) => {
        const overrides = override ? [{ check: 'public.no_direct_identifiers', admin: 'user:9', reason: 'a long and careful written reason' }] : [];
        const full = evaluateGate(e, p, overrides, { approval: 'required' });
        assert.deepEqual(evaluateGate(e, p, overrides), full, "'required' is the default");
        const notYet = evaluateGate(e, p, overrides, { approval: 'not-yet' });
        const expected = full.checks.filter((c) => c.id !== `${e.level}.four_eyes`);
        assert.deepEqual(notYet.checks, expected);
        assert.equal(notYet.allowed, expected.every((c) => c.passed));
      }),
      { numRuns: 1000 },
    );
  });

  test('the policy file may tighten thresholds, but loosening needs an admin reason', () => {
    const strict = parseGatePolicy({ personal: { k: 10 } });
    assert.equal(strict.personal.k, 10);
    assert.equal(strict.personal.l, 2);
    assert.throws(() => parseGatePolicy({ personal: { k: 3 } }), /loosens personal\.k below the floor/);
    assert.throws(() => parseGatePolicy({ specialCategory: { maxEpsilon: 2 } }), /specialCategory\.maxEpsilon/);
    const loose = parseGatePolicy({ personal: { k: 3 }, loosenings: [{ setting: 'personal.k', admin: 'user:1', reason: 'Pilot agreed with the DPO on 1 Nov 2026.' }] });
    assert.equal(loose.personal.k, 3);
    assert.equal(evaluateGate({ level: 'personal', output: 'microdata', columns: safeColumns, microdata: { minClassSize: 3, minDistinctL: null }, approvals: twoPeople }, loose).allowed, true);
    assert.throws(() => parseGatePolicy({ personal: { k: 'five' } }));
    assert.throws(() => parseGatePolicy({ unknown: 1 }));
  });
});

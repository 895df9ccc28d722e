import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { demoReleasePolicies } from '../../../seeds/lib/demo-policies';
import type { ColumnRole, ColumnType } from '../../../src/catalogue/table-schema';
import { ValidationError } from '../../../src/errors';
import { formFromBody } from '../../../src/http/schemas/policy-editor.schemas';
import { parsePolicy } from '../../../src/privacy';
import {
  defaultForm,
  defaultSeed,
  formFromPolicy,
  generalisationsFor,
  MEASURE_FNS,
  policyFromForm,
  type ColumnChoice,
  type FormColumn,
  type PolicyForm,
} from '../../../src/publishing/policy-form';
import { checkPolicyColumns } from '../../../src/publishing/release-workflow.service';

/**
 * The policy editor's converter: every form state it accepts becomes a policy the engine accepts
 * (and whose columns exist), form → policy → form gives the form back, and the demo city's three
 * restricted-data policies open in the form.
 */

const TYPES: ColumnType[] = ['integer', 'number', 'boolean', 'date', 'datetime', 'string'];
const ROLES: ColumnRole[] = ['direct_identifier', 'quasi_identifier', 'sensitive', 'measure', 'time', 'location', 'other'];
const numeric = (c: FormColumn) => c.type === 'integer' || c.type === 'number';
const isKept = (ch: ColumnChoice) => ch.transform !== 'drop' && ch.transform !== 'pseudonymise';
const blank = (transform: ColumnChoice['transform']): ColumnChoice => ({ transform, generalise: '', param: '', unit: '', hierarchy: '', topCode: '', bottomCode: '' });

const columnsArb = fc
  .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_ ]{0,11}$/), { minLength: 1, maxLength: 7 })
  .chain((names) => fc.tuple(...names.map((name) => fc.record({ name: fc.constant(name), type: fc.constantFrom(...TYPES), role: fc.constantFrom(...ROLES, 'quasi_identifier', 'quasi_identifier', 'sensitive') }))));

function choiceArb(c: FormColumn): fc.Arbitrary<ColumnChoice> {
  const kinds = generalisationsFor(c).map(([v]) => v);
  const generalised = fc.constantFrom(...kinds).chain((g): fc.Arbitrary<ColumnChoice> => {
    const base = { ...blank('generalise'), generalise: g };
    switch (g) {
      case 'bands':
        return fc.record({ w: fc.integer({ min: 1, max: 100 }), unit: fc.constantFrom('', 'year') }).map(({ w, unit }) => ({ ...base, param: String(w), unit }));
      case 'groups':
        return fc.record({ b: fc.uniqueArray(fc.integer({ min: -50, max: 200 }), { minLength: 1, maxLength: 5 }), unit: fc.constantFrom('', 'year') })
          .map(({ b, unit }) => ({ ...base, param: [...b].sort((x, y) => x - y).join(', '), unit }));
      case 'truncate':
        return fc.integer({ min: 0, max: 10 }).map((d) => ({ ...base, param: String(d) }));
      case 'grid':
        return fc.integer({ min: 1, max: 10000 }).map((m) => ({ ...base, param: String(m) }));
      case 'hierarchy':
        return fc.record({ text: fc.constantFrom('a;*\nb;*', 'F;P;*\nM;P;*'), level: fc.integer({ min: 1, max: 2 }) }).map(({ text, level }) => ({ ...base, hierarchy: text, param: String(level) }));
      default:
        return fc.constant(base);
    }
  });
  const options: Array<fc.Arbitrary<ColumnChoice>> = [fc.constant(blank('keep')), fc.constant(blank('drop')), fc.constant(blank('pseudonymise')), generalised];
  if (numeric(c)) {
    options.push(fc.record({ top: fc.integer({ min: 0, max: 1000 }), bottom: fc.option(fc.integer({ min: -100, max: 1000 }), { nil: undefined }) })
      .map(({ top, bottom }) => ({ ...blank('topcode'), topCode: String(top), bottomCode: bottom !== undefined && bottom < top ? String(bottom) : '' })));
  }
  return fc.oneof(...options);
}

/** A generalisation every column type has (a k-anonymity hierarchy for a quasi-identifier the generator left as it is). */
function defaultGeneralisation(c: FormColumn): ColumnChoice {
  const g = blank('generalise');
  if (numeric(c)) return { ...g, generalise: 'bands', param: '10' };
  if (c.type === 'date' || c.type === 'datetime') return { ...g, generalise: 'date:month' };
  if (c.type === 'string') return { ...g, generalise: 'postcode:district' };
  return { ...g, generalise: 'hierarchy', hierarchy: 'true;*\nfalse;*' };
}

/** A form the editor could send for these columns, in the canonical shape (fields that do not apply left at their defaults). */
function formArb(columns: FormColumn[]): fc.Arbitrary<PolicyForm> {
  return fc
    .record({
      seed: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,19}$/),
      choices: fc.tuple(...columns.map(choiceArb)),
      scope: fc.constantFrom('release' as const, 'global' as const),
      protection: fc.constantFrom('none' as const, 'k-anonymity' as const, 'table' as const),
      k: fc.integer({ min: 1, max: 20 }), suppression: fc.integer({ min: 0, max: 100 }), metric: fc.constantFrom('dm' as const, 'dm-star' as const, 'aecs' as const, 'height' as const, 'loss' as const),
      l: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), t: fc.option(fc.constantFrom('0', '0.2', '0.5', '1'), { nil: undefined }),
      method: fc.constantFrom('suppress' as const, 'aggregate' as const, 'dp' as const),
      groupBy: fc.shuffledSubarray(columns.map((c) => c.name), { minLength: 1, maxLength: columns.length }),
      measurePick: fc.nat(), rule: fc.constantFrom('threshold' as const, 'ons-10-5' as const, 'nhs-1-7' as const), threshold: fc.integer({ min: 1, max: 20 }),
      secondary: fc.boolean(), rounding: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }), audit: fc.boolean(),
      countPick: fc.nat(), countName: fc.constantFrom('', 'households', 'n'), measureFn: fc.constantFrom(...MEASURE_FNS), measureName: fc.constantFrom('', 'total'),
      minGroup: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }), epsilon: fc.constantFrom('0.5', '1', '1/3', '2'),
      householdPick: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((r) => {
      const f = defaultForm(columns, r.seed);
      f.columns = r.choices.map((c) => ({ ...c }));
      if (f.columns.some((c) => c.transform === 'pseudonymise')) f.pseudonymScope = r.scope;
      const keptNames = columns.filter((_, i) => isKept(f.columns[i])).map((c) => c.name);
      const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
      if (r.protection === 'k-anonymity') {
        columns.forEach((c, i) => {
          if (c.role !== 'quasi_identifier') return;
          if (f.columns[i].transform === 'keep') f.columns[i] = r.k % 3 === 0 ? blank('drop') : defaultGeneralisation(c);
          if (f.columns[i].generalise === 'hierarchy') f.columns[i].param = '';
        });
        if (columns.some((c, i) => c.role === 'quasi_identifier' && isKept(f.columns[i]))) {
          const sensitive = columns.some((c, i) => c.role === 'sensitive' && isKept(f.columns[i]));
          Object.assign(f, { protection: 'k-anonymity', k: String(r.k), suppression: String(r.suppression), metric: r.metric });
          if (sensitive) Object.assign(f, { lDiversity: r.l === undefined ? '' : String(r.l), tCloseness: r.t ?? '' });
        }
      } else if (r.protection === 'table' && keptNames.length) {
        const groupBy = r.groupBy.filter((g) => keptNames.includes(g)).slice(0, r.method === 'aggregate' ? undefined : 3);
        const measures = columns.filter((c, i) => numeric(c) && isKept(f.columns[i])).map((c) => c.name);
        Object.assign(f, { protection: 'table', tableMethod: r.method, groupBy: groupBy.length ? groupBy : [keptNames[0]] });
        if (r.method !== 'dp') f.measure = r.measurePick % 2 ? pick(measures, r.measurePick) ?? '' : '';
        if (r.method === 'suppress') {
          f.rule = r.rule;
          f.audit = r.audit;
          if (r.rule === 'threshold') Object.assign(f, { threshold: String(r.threshold), secondary: r.secondary, rounding: r.rounding === undefined ? '' : String(r.rounding) });
          else f.threshold = '';
        } else if (r.method === 'aggregate') {
          f.countOf = r.countPick % 2 ? pick(keptNames, r.countPick) ?? '' : '';
          f.countName = r.countName;
          f.threshold = r.minGroup === undefined ? '' : String(r.minGroup);
          if (f.measure) Object.assign(f, { measureFn: r.measureFn, measureName: r.measureName });
        } else {
          f.epsilon = r.epsilon;
          f.categories = f.groupBy.map((g, j) => `${g}: v${j}a, v${j}b`).join('\n');
        }
      }
      const times = columns.filter((c, i) => (c.type === 'date' || c.type === 'datetime') && f.columns[i].transform !== 'drop').map((c) => c.name);
      if (r.householdPick !== undefined && times.length) {
        f.householdTime = pick(times, r.householdPick)!;
        f.householdCount = f.protection === 'table' && f.tableMethod === 'aggregate' ? '' : 'households';
      }
      return f;
    });
}

/** Whether an aggregate's output names clash with its group-by columns (the converter refuses those). */
function namesClash(f: PolicyForm): boolean {
  if (f.protection !== 'table' || f.tableMethod !== 'aggregate') return false;
  const count = f.countName || (f.countOf ? `count_distinct_${f.countOf}` : 'count');
  const measure = f.measure ? f.measureName || `${f.measureFn}_${f.measure}` : '';
  return f.groupBy.includes(count) || (measure !== '' && (f.groupBy.includes(measure) || measure === count));
}

const withForm = fc
  .tuple(columnsArb)
  .chain(([columns]) => fc.tuple(fc.constant(columns as FormColumn[]), formArb(columns as FormColumn[])))
  .filter(([, form]) => !namesClash(form));

describe('policy form → policy', () => {
  test('every form state produces a policy the engine accepts, naming only columns the source has', () => {
    fc.assert(
      fc.property(withForm, ([columns, form]) => {
        const { policy, settings } = policyFromForm(columns, form);
        assert.deepEqual(parsePolicy(JSON.parse(JSON.stringify(policy))), policy);
        checkPolicyColumns(policy, columns);
        if (form.householdTime) assert.equal(settings.household?.timeColumn, form.householdTime);
      }),
      { numRuns: 400 },
    );
  });

  test('form → policy → form gives the same form', () => {
    fc.assert(
      fc.property(withForm, ([columns, form]) => {
        const { policy, settings } = policyFromForm(columns, form);
        const back = formFromPolicy(columns, JSON.parse(JSON.stringify(policy)), settings);
        assert.ok('form' in back, 'reason' in back ? back.reason : '');
        assert.deepEqual(back.form, form);
      }),
      { numRuns: 400 },
    );
  });

  test('the HTML fields read back into the same form', () => {
    fc.assert(
      fc.property(withForm, ([columns, form]) => {
        const body: Record<string, unknown> = {
          seed: form.seed, pseudonymScope: form.pseudonymScope, protection: form.protection, k: form.k, suppression: form.suppression, metric: form.metric,
          lDiversity: form.lDiversity, tCloseness: form.tCloseness, tableMethod: form.tableMethod, groupBy: form.groupBy, measure: form.measure, rule: form.rule,
          threshold: form.threshold, rounding: form.rounding, countOf: form.countOf, countName: form.countName, measureFn: form.measureFn, measureName: form.measureName,
          epsilon: form.epsilon, categories: form.categories.replace(/\n/g, '\r\n'), householdTime: form.householdTime, householdCount: form.householdCount,
          ...(form.secondary ? { secondary: 'yes' } : {}), ...(form.audit ? { audit: 'yes' } : {}),
        };
        form.columns.forEach((c, i) => Object.assign(body, { [`t_${i}`]: c.transform, [`g_${i}`]: c.generalise, [`v_${i}`]: c.param, [`u_${i}`]: c.unit, [`h_${i}`]: c.hierarchy, [`tc_${i}`]: c.topCode, [`bc_${i}`]: c.bottomCode }));
        assert.deepEqual(formFromBody(columns, body), form);
      }),
      { numRuns: 100 },
    );
  });

  test('problems are reported per field', () => {
    const columns: FormColumn[] = [{ name: 'age', type: 'integer', role: 'quasi_identifier' }, { name: 'ward', type: 'string', role: 'quasi_identifier' }];
    const f = defaultForm(columns, ' ');
    f.columns[0] = { ...blank('generalise'), generalise: 'bands', param: 'ten' };
    f.protection = 'k-anonymity';
    f.k = '0';
    try {
      policyFromForm(columns, f);
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      const issues = (err.details?.issues ?? []) as Array<{ field: string; message: string }>;
      assert.deepEqual(issues.map((i) => i.field).sort(), ['k', 'seed', 't_1', 'v_0']);
      assert.match(issues.find((i) => i.field === 't_1')!.message, /"ward" is a quasi-identifier/);
    }
  });

  test('a protected table groups by at most 3 columns, and never by a dropped one', () => {
    const columns: FormColumn[] = ['a', 'b', 'c', 'd'].map((name) => ({ name, type: 'string', role: 'other' }));
    const f = { ...defaultForm(columns, 's'), protection: 'table' as const, groupBy: ['a', 'b', 'c', 'd'] };
    assert.throws(() => policyFromForm(columns, f), /at most 3/);
    f.groupBy = ['a'];
    f.columns[0] = blank('drop');
    assert.throws(() => policyFromForm(columns, f), /column "a" is dropped/);
    assert.doesNotThrow(() => policyFromForm(columns, { ...f, tableMethod: 'aggregate', groupBy: ['b', 'c', 'd'] }));
    assert.throws(() => policyFromForm(columns, { ...f, tableMethod: 'aggregate', groupBy: ['b'], countName: 'b' }), /cannot be called "b"/);
  });

  test('a new form drops direct identifiers and seeds with the dataset and date', () => {
    const f = defaultForm([{ name: 'name', type: 'string', role: 'direct_identifier' }, { name: 'ward', type: 'string', role: 'location' }], defaultSeed('x', new Date('2026-11-26T10:00:00Z')));
    assert.equal(f.seed, 'x-2026-11-26');
    assert.deepEqual(f.columns.map((c) => c.transform), ['drop', 'keep']);
  });
});

describe('policy → form', () => {
  const types: Record<string, ColumnType> = {
    household_id: 'string', mpan: 'string', postcode: 'string', reading_start: 'datetime', kwh: 'number',
    claim_ref: 'string', claimant_name: 'string', date_of_birth: 'date', age: 'integer', sex: 'string', ward: 'string', household_type: 'string', weekly_award: 'number', claim_start: 'date',
    person_id: 'string', nhs_number: 'string', primary_support_reason: 'string', service_type: 'string',
  };
  const columnsOf = (slug: string): FormColumn[] => Object.entries(demoReleasePolicies[slug].roles).map(([name, role]) => ({ name, type: types[name], role }));

  for (const slug of Object.keys(demoReleasePolicies)) {
    test(`the demo policy of ${slug} opens in the form and saves to the same policy`, () => {
      const demo = demoReleasePolicies[slug];
      const columns = columnsOf(slug);
      const opened = formFromPolicy(columns, demo.policy, demo.settings);
      assert.ok('form' in opened, 'reason' in opened ? opened.reason : '');
      const again = policyFromForm(columns, opened.form);
      assert.deepEqual(again.settings, demo.settings ?? {});
      // Same steps in meaning: the form writes single-level hierarchies and explicit output names.
      const original = parsePolicy(demo.policy);
      assert.equal(again.policy.seed, original.seed);
      assert.deepEqual(again.policy.steps.map((s) => s.op), original.steps.map((s) => s.op));
      assert.deepEqual(formFromPolicy(columns, again.policy, again.settings), opened);
    });
  }

  test('the shapes of the demo forms', () => {
    const meter = formFromPolicy(columnsOf('household-smart-meter-readings'), demoReleasePolicies['household-smart-meter-readings'].policy, demoReleasePolicies['household-smart-meter-readings'].settings);
    assert.ok('form' in meter);
    assert.equal(meter.form.columns[2].generalise, 'postcode:district');
    assert.equal(meter.form.columns[3].generalise, 'date:day');
    assert.deepEqual([meter.form.tableMethod, meter.form.countOf, meter.form.countName, meter.form.measure, meter.form.measureName, meter.form.threshold], ['aggregate', 'household_id', 'households', 'kwh', 'total_kwh', '10']);
    assert.deepEqual([meter.form.householdTime, meter.form.householdCount], ['reading_start', '']);
    const hb = formFromPolicy(columnsOf('housing-benefit-claims'), demoReleasePolicies['housing-benefit-claims'].policy, undefined);
    assert.ok('form' in hb);
    assert.deepEqual(hb.form.columns[3], { ...blank('generalise'), generalise: 'groups', param: '18, 25, 35, 50, 65', unit: 'year' });
    assert.deepEqual([hb.form.tableMethod, hb.form.groupBy, hb.form.rule, hb.form.threshold, hb.form.secondary, hb.form.audit], ['suppress', ['ward', 'age', 'household_type'], 'threshold', '10', true, true]);
    const care = formFromPolicy(columnsOf('adult-social-care-service-users'), demoReleasePolicies['adult-social-care-service-users'].policy, undefined);
    assert.ok('form' in care);
    assert.deepEqual([care.form.tableMethod, care.form.rule, care.form.groupBy], ['suppress', 'ons-10-5', ['ward', 'primary_support_reason']]);
  });

  test('policies the form cannot show open as JSON, with the reason', () => {
    const columns: FormColumn[] = [{ name: 'age', type: 'integer', role: 'quasi_identifier' }, { name: 'income', type: 'number', role: 'sensitive' }];
    const cases: Array<[unknown, RegExp]> = [
      [{ version: 1, seed: 's', steps: [{ op: 'mondrian', k: 5, quasiIdentifiers: ['age'] }] }, /no mondrian step/],
      [{ version: 1, seed: 's', steps: [{ op: 'generalise', column: 'age', hierarchy: { type: 'interval', widths: [5, 10] }, level: 3 }] }, /bands of "age" cannot be shown/],
      [{ version: 1, seed: 's', steps: [{ op: 'protect-table', dimensions: ['age'], rules: [{ type: 'p-percent', p: 10 }] }] }, /dominance, p%/],
      [{ version: 1, seed: 's', steps: [{ op: 'drop', columns: ['nope'] }] }, /"nope"/],
      [{ version: 1, seed: 's', steps: [{ op: 'dp-sum', column: 'income', lower: 0, upper: 10, epsilon: '1' }] }, /no dp-sum step/],
      [{ version: 2 }, /Invalid policy/],
    ];
    for (const [policy, reason] of cases) {
      const r = formFromPolicy(columns, policy, {});
      assert.ok('reason' in r, JSON.stringify(policy));
      assert.match(r.reason, reason);
    }
  });
});

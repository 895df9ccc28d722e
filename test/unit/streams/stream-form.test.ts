import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultGatePolicy } from '../../../src/publishing/gate-policy';
import {
  definitionFromForm,
  displayedMeasureRows,
  issueFromMessage,
  measureField,
  minutesText,
  newStreamForm,
  rollupFormFromBody,
  rollupFormFromPolicy,
  rollupFromForm,
  streamFormFromBody,
  streamFormFromDefinition,
  type FormIssue,
  type StreamForm,
} from '../../../src/streams/stream-form';
import { aggregateNames, definitionProblems, intervalNames, sameRollup, streamDefinitionSchema, type RollupPolicy, type StreamDefinition } from '../../../src/streams/stream.schemas';

/** The stream forms' pure conversion: HTML fields → definition (validated by the API's schemas) and back. */

const blankRow = { name: '', title: '', unit: '', min: '', max: '' };
const river: StreamForm = {
  slug: 'river-levels',
  title: 'River levels',
  summary: 'Water level at the gauges, every hour.',
  publisher: 'environmental-health',
  level: 'public',
  measures: [{ name: 'level', title: 'Water level', unit: 'm', min: '0', max: '10' }, blankRow, { name: 'flow', title: '', unit: 'm³/s', min: '0', max: '500.5' }],
  rollup: { intervals: ['hour', 'day'], aggregates: ['mean', 'max'], spatial: 'device', cellDegrees: '', resolution: '', lateMinutes: '10', minHouseholds: '10' },
};
const meters: StreamForm = {
  ...river,
  slug: 'pilot-meters',
  title: 'Pilot meters',
  level: 'personal',
  measures: [{ name: 'kwh', title: '', unit: 'kWh', min: '0', max: '20' }],
  rollup: { intervals: ['day'], aggregates: ['sum', 'mean'], spatial: 'ward', cellDegrees: '', resolution: '', lateMinutes: '60', minHouseholds: '12' },
};

const fields = (issues: FormIssue[]) => issues.map((i) => i.field);
function issuesOf(f: StreamForm): FormIssue[] {
  const r = definitionFromForm(f);
  assert.equal(r.ok, false, 'the form is refused');
  return r.ok ? [] : r.issues;
}

describe('form → definition', () => {
  test('a public stream: empty rows are skipped, minutes become seconds, the household field is ignored, defaults are the schema’s', () => {
    const r = definitionFromForm(river);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value, {
      slug: 'river-levels',
      title: 'River levels',
      summary: 'Water level at the gauges, every hour.',
      description: '',
      publisher: 'environmental-health',
      level: 'public',
      licence: 'OGL-UK-3.0',
      themes: [],
      keywords: [],
      measures: [
        { name: 'level', title: 'Water level', unit: 'm', min: 0, max: 10 },
        { name: 'flow', unit: 'm³/s', min: 0, max: 500.5 },
      ],
      rollup: { intervals: ['hour', 'day'], aggregates: ['mean', 'max'], spatial: { type: 'device' }, lateSeconds: 600 },
    });
    // exactly what the API's schema makes of the same JSON
    assert.deepEqual(r.value, streamDefinitionSchema.parse(r.value));
  });

  test('a personal stream keeps its household threshold; grid and h3 take their parameter', () => {
    const r = definitionFromForm(meters);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value.rollup, { intervals: ['day'], aggregates: ['sum', 'mean'], spatial: { type: 'ward' }, lateSeconds: 3600, minHouseholds: 12 });
    const grid = definitionFromForm({ ...river, rollup: { ...river.rollup, spatial: 'grid', cellDegrees: '0.01', resolution: '7' } });
    assert.ok(grid.ok);
    assert.deepEqual(grid.value.rollup.spatial, { type: 'grid', cellDegrees: 0.01 });
    const h3 = definitionFromForm({ ...river, rollup: { ...river.rollup, spatial: 'h3', cellDegrees: '0.01', resolution: '7' } });
    assert.ok(h3.ok);
    assert.deepEqual(h3.value.rollup.spatial, { type: 'h3', resolution: 7 });
  });

  test('a bad form: every field named once, in page order, with its row', () => {
    const issues = issuesOf({
      ...river,
      slug: 'River Levels',
      title: '',
      publisher: '',
      level: '',
      measures: [blankRow, { name: 'level', title: '', unit: 'm', min: '10', max: '2' }, { name: '9x', title: '', unit: '', min: 'abc', max: '' }],
      rollup: { ...river.rollup, intervals: [], aggregates: [], spatial: 'grid', cellDegrees: '', lateMinutes: 'soon' },
    });
    assert.deepEqual(fields(issues), [
      'slug',
      'title',
      'publisher',
      'level',
      measureField(1, 'max'),
      measureField(2, 'name'),
      measureField(2, 'unit'),
      measureField(2, 'min'),
      measureField(2, 'max'),
      'intervals',
      'aggregates',
      'cellDegrees',
      'lateMinutes',
    ]);
    const by = new Map(issues.map((i) => [i.field, i.message]));
    assert.match(by.get(measureField(1, 'max'))!, /^Measure 2: the valid maximum must be above the minimum/);
    assert.match(by.get(measureField(2, 'min'))!, /^Measure 3: enter the valid minimum/);
    assert.match(by.get('title')!, /3 to 200 characters/);
    for (const i of issues) assert.doesNotMatch(i.message, /expected|received|Invalid input/, 'plain words, not zod’s');
  });

  test('no measure at all points at the first row', () => {
    assert.deepEqual(fields(issuesOf({ ...river, measures: [blankRow, blankRow] })), [measureField(0, 'name')]);
  });

  test('the household rules of personal streams, on the fields they are about', () => {
    const issues = issuesOf({ ...meters, rollup: { ...meters.rollup, intervals: ['hour'], aggregates: ['sum', 'max'], spatial: 'device', minHouseholds: '5' } });
    assert.deepEqual(fields(issues), ['intervals', 'aggregates', 'spatial', 'minHouseholds']);
    assert.match(issues.find((i) => i.field === 'minHouseholds')!.message, /^The least number of households behind a figure must be at least 10/);
    assert.deepEqual(fields(issuesOf({ ...meters, rollup: { ...meters.rollup, minHouseholds: '' } })), ['minHouseholds']);
    // with another field wrong too, the rollup is still judged by the household rules
    assert.deepEqual(fields(issuesOf({ ...meters, title: '', rollup: { ...meters.rollup, intervals: ['hour', 'day'] } })), ['title', 'intervals']);
  });

  test('a duplicate or reserved measure name points at its row', () => {
    const dup = issuesOf({ ...river, measures: [river.measures[0], blankRow, { ...river.measures[0], title: '' }] });
    assert.deepEqual(fields(dup), [measureField(2, 'name')]);
    assert.match(dup[0].message, /appears twice/);
    assert.deepEqual(fields(issuesOf({ ...river, measures: [{ ...river.measures[0], name: 'ward' }] })), [measureField(0, 'name')]);
  });

  test('property: what the page accepts, the API accepts; what it refuses names each field once', () => {
    const text = fc.constantFrom('', '0', '5', '10', '-3', 'x', '1e2', '0.5', ' 7 ');
    const form = fc.record({
      slug: fc.constantFrom('ok-slug', 'Bad Slug', ''),
      title: fc.constantFrom('A title', 'ab', ''),
      summary: fc.constant(''),
      publisher: fc.constantFrom('p', ''),
      level: fc.constantFrom('public', 'personal', '', 'secret'),
      measures: fc.array(fc.record({ name: fc.constantFrom('', 'kwh', 'pm25', 'ward', 'Bad'), title: fc.constantFrom('', 'Label'), unit: fc.constantFrom('', 'kWh'), min: text, max: text }), { maxLength: 3 }),
      rollup: fc.record({
        intervals: fc.subarray([...intervalNames]),
        aggregates: fc.subarray([...aggregateNames]),
        spatial: fc.constantFrom('device', 'all', 'ward', 'grid', 'h3', 'zz'),
        cellDegrees: text,
        resolution: text,
        lateMinutes: text,
        minHouseholds: text,
      }),
    });
    fc.assert(
      fc.property(form, (f) => {
        const r = definitionFromForm(f);
        if (r.ok) {
          const parsed = streamDefinitionSchema.safeParse(r.value);
          assert.ok(parsed.success);
          assert.deepEqual(definitionProblems(parsed.data.level, parsed.data.measures, parsed.data.rollup, defaultGatePolicy), []);
        } else {
          assert.ok(r.issues.length > 0);
          assert.equal(new Set(fields(r.issues)).size, r.issues.length, 'one issue per field');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('definition → form → definition', () => {
  test('the example definitions round-trip', () => {
    for (const f of [river, meters]) {
      const d = definitionFromForm(f);
      assert.ok(d.ok);
      const again = definitionFromForm(streamFormFromDefinition(d.value));
      assert.ok(again.ok);
      assert.deepEqual(again.value, d.value);
    }
  });

  test('minutes shown with at most two decimals still give back every whole number of seconds', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 86_400 }), (s) => Math.round(Number(minutesText(s)) * 60) === s));
    assert.equal(minutesText(300), '5');
    assert.equal(minutesText(90), '1.5');
  });

  // Any definition the API accepts (within the fields the form has) comes back unchanged through the form.
  const num = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
  const measure = (name: string) =>
    fc.record({ title: fc.option(fc.constantFrom('Water level', 'PM2.5 <µg>', 'a "quoted" label'), { nil: undefined }), unit: fc.constantFrom('m', 'µg/m³', 'kWh', '%'), a: num, b: num })
      .filter((m) => m.a !== m.b)
      .map((m) => ({ name, ...(m.title !== undefined ? { title: m.title } : {}), unit: m.unit, min: Math.min(m.a, m.b), max: Math.max(m.a, m.b) }));
  const spatial = fc.oneof(
    fc.constantFrom({ type: 'device' as const }, { type: 'all' as const }, { type: 'ward' as const }),
    fc.double({ min: 0.0001, max: 10, noNaN: true }).map((cellDegrees) => ({ type: 'grid' as const, cellDegrees })),
    fc.integer({ min: 0, max: 15 }).map((resolution) => ({ type: 'h3' as const, resolution })),
  );
  const definition = fc
    .record({
      slug: fc.stringMatching(/^[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}$/),
      title: fc.string({ minLength: 3, maxLength: 40 }).filter((s) => s.trim() === s && s.length >= 3),
      summary: fc.string({ maxLength: 60 }).map((s) => s.trim()),
      publisher: fc.constantFrom('environmental-health', 'anytown-energy-partnership'),
      level: fc.constantFrom('public' as const, 'personal' as const),
      names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), { minLength: 1, maxLength: 6 }),
      intervals: fc.subarray([...intervalNames], { minLength: 1 }),
      aggregates: fc.subarray([...aggregateNames], { minLength: 1 }),
      spatial,
      lateSeconds: fc.integer({ min: 0, max: 86_400 }),
      minHouseholds: fc.integer({ min: 10, max: 1000 }),
    })
    .chain((d) =>
      fc.tuple(...d.names.map(measure)).map((measures) => ({
        slug: d.slug,
        title: d.title,
        summary: d.summary,
        publisher: d.publisher,
        level: d.level,
        measures,
        rollup: (d.level === 'personal'
          ? {
              // the household rules: daily or coarser, no min or max, never per device, ≥ 10 households
              intervals: d.intervals.filter((i) => i === 'day' || i === 'week').concat(d.intervals.includes('day') || d.intervals.includes('week') ? [] : ['day']),
              aggregates: d.aggregates.filter((a) => a !== 'min' && a !== 'max').concat(d.aggregates.some((a) => a !== 'min' && a !== 'max') ? [] : ['sum']),
              spatial: d.spatial.type === 'device' ? { type: 'ward' } : d.spatial,
              lateSeconds: d.lateSeconds,
              minHouseholds: d.minHouseholds,
            }
          : { intervals: d.intervals, aggregates: d.aggregates, spatial: d.spatial, lateSeconds: d.lateSeconds }) as RollupPolicy,
      })),
    )
    .map((d) => streamDefinitionSchema.safeParse(d))
    .filter((r) => r.success && definitionProblems(r.data.level, r.data.measures, r.data.rollup, defaultGatePolicy).length === 0)
    .map((r) => r.data as StreamDefinition);

  test('property: every valid definition survives the form unchanged, and so does its rollup through the policy form', () => {
    fc.assert(
      fc.property(definition, (d) => {
        const back = definitionFromForm(streamFormFromDefinition(d));
        assert.ok(back.ok, JSON.stringify(back));
        assert.deepEqual(back.value, d);
        const rollup = rollupFromForm(rollupFormFromPolicy(d.rollup), d.level, d.measures);
        assert.ok(rollup.ok);
        assert.ok(sameRollup(rollup.value, d.rollup));
        assert.deepEqual(rollup.value, d.rollup);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the policy form', () => {
  const measures = [{ name: 'kwh', unit: 'kWh', min: 0, max: 20 }];
  const personal: RollupPolicy = { intervals: ['day'], aggregates: ['sum'], spatial: { type: 'ward' }, lateSeconds: 3600, minHouseholds: 10 };

  test('opens a stored policy and reads a changed one', () => {
    const f = rollupFormFromPolicy(personal);
    assert.deepEqual(f, { intervals: ['day'], aggregates: ['sum'], spatial: 'ward', cellDegrees: '', resolution: '', lateMinutes: '60', minHouseholds: '10' });
    const r = rollupFromForm({ ...f, intervals: ['day', 'week'], aggregates: ['sum', 'mean'], minHouseholds: '15' }, 'personal', measures);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { ...personal, intervals: ['day', 'week'], aggregates: ['sum', 'mean'], minHouseholds: 15 });
    assert.equal(sameRollup(r.value, personal), false);
  });

  test('refuses what the API refuses, on the right fields', () => {
    const r = rollupFromForm({ ...rollupFormFromPolicy(personal), aggregates: ['min'], spatial: 'device' }, 'personal', measures);
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : fields(r.issues), ['aggregates', 'spatial']);
    const late = rollupFromForm({ ...rollupFormFromPolicy(personal), lateMinutes: '2000' }, 'personal', measures);
    assert.deepEqual(late.ok ? [] : fields(late.issues), ['lateMinutes']);
  });

  test('a public stream’s form has no household field: whatever is sent for it is ignored', () => {
    const pub: RollupPolicy = { intervals: ['hour'], aggregates: ['mean'], spatial: { type: 'device' }, lateSeconds: 300 };
    const r = rollupFromForm({ ...rollupFormFromPolicy(pub), minHouseholds: '3' }, 'public', measures);
    assert.ok(r.ok);
    assert.equal(r.value.minHouseholds, undefined);
  });

  test('sameRollup ignores key order but not the order of aggregates', () => {
    const a: RollupPolicy = { intervals: ['hour'], aggregates: ['mean', 'max'], spatial: { type: 'grid', cellDegrees: 0.1 }, lateSeconds: 300 };
    const b = { lateSeconds: 300, spatial: { cellDegrees: 0.1, type: 'grid' }, aggregates: ['mean', 'max'], intervals: ['hour'] } as RollupPolicy;
    assert.ok(sameRollup(a, b));
    assert.equal(sameRollup(a, { ...a, aggregates: ['max', 'mean'] }), false);
  });
});

describe('HTML fields', () => {
  test('a urlencoded body: single and repeated checkboxes, rows up to the last one sent', () => {
    const f = streamFormFromBody({
      slug: 'x',
      title: 'T',
      level: 'public',
      publisher: 'p',
      intervals: 'hour',
      aggregates: ['mean', 'max'],
      [measureField(0, 'name')]: 'a',
      [measureField(3, 'unit')]: '',
      lateMinutes: '5',
    });
    assert.equal(f.measures.length, 4);
    assert.equal(f.measures[0].name, 'a');
    assert.deepEqual(f.rollup.intervals, ['hour']);
    assert.deepEqual(f.rollup.aggregates, ['mean', 'max']);
    assert.deepEqual(rollupFormFromBody({}).intervals, []);
  });

  test('at least five rows are shown, one spare and one more on request, up to twenty', () => {
    assert.equal(displayedMeasureRows([]).length, 5);
    const filled = (n: number) => Array.from({ length: n }, (_, i) => ({ ...blankRow, name: `m${i}` }));
    assert.equal(displayedMeasureRows(filled(7)).length, 8);
    assert.equal(displayedMeasureRows(filled(20)).length, 20);
    assert.equal(displayedMeasureRows([...filled(2), blankRow, blankRow, blankRow, blankRow, blankRow, blankRow]).length, 5);
    // "Add another measure": one more row than were sent, at most 20
    assert.equal(displayedMeasureRows([...filled(2), blankRow, blankRow, blankRow], true).length, 6);
    assert.equal(displayedMeasureRows(filled(20), true).length, 20);
  });

  test('a new form: one publisher is chosen for you, the level is not', () => {
    assert.equal(newStreamForm(['only']).publisher, 'only');
    assert.equal(newStreamForm(['a', 'b']).publisher, '');
    assert.equal(newStreamForm(['a']).level, '');
    assert.equal(newStreamForm(['a']).rollup.minHouseholds, '10');
  });

  test('service messages point at their field', () => {
    assert.deepEqual(issueFromMessage('slug: "river" is already taken by a dataset or stream', 'slug'), { field: 'slug', message: 'Slug: "river" is already taken by a dataset or stream' });
    assert.equal(issueFromMessage('rollup.intervals: the finest interval cannot change', 'spatial').field, 'intervals');
    assert.equal(issueFromMessage('licence: no licence "X"', 'slug').field, 'slug');
    assert.equal(issueFromMessage('Something else', 'title').field, 'title');
  });
});

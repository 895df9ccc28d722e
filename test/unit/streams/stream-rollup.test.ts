import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { evaluateGate } from '../../../src/publishing/gate';
import { defaultGatePolicy } from '../../../src/publishing/gate-policy';
import { alignDown, closedWindows, computeRollup, intervalsEndingAt, personalRollupEvidence, rollupColumns, type Reading } from '../../../src/streams/rollup';
import { definitionProblems, type DevicePlace, type Measure, type RollupPolicy } from '../../../src/streams/stream.schemas';

const H = 3600_000;
const D = 24 * H;
const measures: Measure[] = [{ name: 'v', unit: 'u', min: -1000, max: 1000 }];
const publicPolicy: RollupPolicy = { intervals: ['hour', 'day'], aggregates: ['mean', 'min', 'max', 'sum', 'count'], spatial: { type: 'device' }, lateSeconds: 300 };
const devicesOf = (n: number, ward = (i: number) => `w${i % 3}`) =>
  new Map<number, DevicePlace>(Array.from({ length: n }, (_, i) => [i + 1, { id: i + 1, key: `d${i + 1}`, lat: 52 + i / 100, lon: 0.1, ward: ward(i) }]));

describe('closed intervals', () => {
  test('windows close only after their end plus the late window, in order, without gaps or repeats across runs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom(15 * 60_000, H, D),
        fc.integer({ min: 0, max: 3600 }),
        fc.array(fc.integer({ min: 0, max: 40 * H }), { minLength: 1, maxLength: 8 }),
        (startHours, ms, lateS, advances) => {
          const origin = alignDown(1_790_000_000_000 + startHours * H, ms);
          let closedUntil = origin;
          let now = origin;
          const released: number[] = [];
          for (const a of advances.sort((x, y) => x - y)) {
            now = origin + a;
            const w = closedWindows(closedUntil, now, ms, lateS * 1000, 5);
            for (const s of w) {
              assert.ok(s + ms + lateS * 1000 <= now, 'closed only after end + late');
              assert.equal(s, closedUntil, 'next window starts at the watermark: no gap, no repeat');
              released.push(s);
              closedUntil = s + ms;
            }
          }
          // Every window up to the watermark was released exactly once.
          assert.deepEqual(released, Array.from({ length: (closedUntil - origin) / ms }, (_, i) => origin + i * ms));
        },
      ),
    );
  });

  test('a window whose late period has not passed stays open', () => {
    const t = Date.parse('2026-11-28T10:00:00Z');
    assert.deepEqual(closedWindows(t, t + H + 299_999, H, 300_000), []);
    assert.deepEqual(closedWindows(t, t + H + 300_000, H, 300_000), [t]);
  });

  test('coarser intervals end with the finest window aligned to them', () => {
    assert.deepEqual(intervalsEndingAt(publicPolicy, Date.parse('2026-11-28T10:00:00Z')), ['hour']);
    assert.deepEqual(intervalsEndingAt(publicPolicy, Date.parse('2026-11-29T00:00:00Z')), ['hour', 'day']);
  });
});

describe('rollup', () => {
  const readingArb = (start: number) =>
    fc.record({ deviceId: fc.integer({ min: 1, max: 6 }), at: fc.integer({ min: start - H, max: start + 2 * H }), values: fc.record({ v: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(null)) }) });

  test('aggregates equal a naive computation over exactly [start, end)', () => {
    const start = Date.parse('2026-11-28T10:00:00Z');
    fc.assert(
      fc.property(fc.array(readingArb(start), { maxLength: 200 }), (readings: Reading[]) => {
        const devices = devicesOf(6);
        const r = computeRollup({ level: 'public', measures, policy: publicPolicy, devices, readings }, 'hour', start);
        const inside = readings.filter((x) => x.at >= start && x.at < start + H);
        const cols = rollupColumns('public', measures, publicPolicy).map((c) => c.name);
        const byDevice = new Map<string, Reading[]>();
        for (const x of inside) byDevice.set(`d${x.deviceId}`, [...(byDevice.get(`d${x.deviceId}`) ?? []), x]);
        assert.equal(r.rows.length, byDevice.size);
        for (const row of r.rows) {
          const get = (name: string) => row[cols.indexOf(name)];
          const rs = byDevice.get(String(get('device')))!;
          const vs = rs.map((x) => x.values.v).filter((v): v is number => v !== null);
          assert.equal(get('readings'), rs.length);
          assert.equal(get('devices'), 1);
          assert.equal(get('v_count'), vs.length);
          assert.equal(get('v_min'), vs.length ? Math.min(...vs) : null);
          assert.equal(get('v_max'), vs.length ? Math.max(...vs) : null);
          assert.equal(get('v_sum'), vs.length ? vs.reduce((a, b) => a + b, 0) : null);
          if (vs.length) assert.ok(Math.abs((get('v_mean') as number) - vs.reduce((a, b) => a + b, 0) / vs.length) < 1e-4);
          assert.equal(get('interval_start'), '2026-11-28T10:00:00.000Z');
          assert.equal(get('interval_end'), '2026-11-28T11:00:00.000Z');
        }
      }),
    );
  });

  test('a reading at the start belongs to the interval, one at the end to the next', () => {
    const start = Date.parse('2026-11-28T10:00:00Z');
    const devices = devicesOf(1);
    const readings: Reading[] = [
      { deviceId: 1, at: start, values: { v: 1 } },
      { deviceId: 1, at: start + H - 1, values: { v: 3 } },
      { deviceId: 1, at: start + H, values: { v: 100 } },
      { deviceId: 1, at: start - 1, values: { v: -100 } },
    ];
    const [row] = computeRollup({ level: 'public', measures, policy: publicPolicy, devices, readings }, 'hour', start).rows;
    const cols = rollupColumns('public', measures, publicPolicy).map((c) => c.name);
    assert.equal(row[cols.indexOf('v_mean')], 2);
    assert.equal(row[cols.indexOf('readings')], 2);
  });

  test('spatial grouping: ward, all, grid and h3 groups count distinct devices', () => {
    const start = 0;
    const devices = devicesOf(9);
    const readings: Reading[] = [...devices.keys()].flatMap((id) => [{ deviceId: id, at: 10, values: { v: id } }, { deviceId: id, at: 20, values: { v: id } }]);
    const base = { level: 'public' as const, measures, devices, readings };
    const ward = computeRollup({ ...base, policy: { ...publicPolicy, spatial: { type: 'ward' } } }, 'hour', start);
    assert.deepEqual(ward.rows.map((r) => [r[3], r[4], r[5]]), [['w0', 3, 6], ['w1', 3, 6], ['w2', 3, 6]]);
    const all = computeRollup({ ...base, policy: { ...publicPolicy, spatial: { type: 'all' } } }, 'hour', start);
    assert.deepEqual([all.rows[0][3], all.rows[0][4]], [9, 18]);
    const grid = computeRollup({ ...base, policy: { ...publicPolicy, spatial: { type: 'grid', cellDegrees: 0.05 } } }, 'hour', start);
    assert.equal(grid.rows.reduce((n, r) => n + (r[5] as number), 0), 9);
    const h3 = computeRollup({ ...base, policy: { ...publicPolicy, spatial: { type: 'h3', resolution: 5 } } }, 'hour', start);
    assert.match(String(h3.rows[0][3]), /^[0-9a-f]{15}$/);
  });
});

describe('personal streams', () => {
  const personal: RollupPolicy = { intervals: ['day', 'week'], aggregates: ['sum', 'mean'], spatial: { type: 'ward' }, lateSeconds: 3600, minHouseholds: 10 };
  const weekStart = Date.parse('2026-11-19T00:00:00Z'); // a Thursday: weeks are aligned to the Unix epoch (Thursdays)

  test('no published figure covers fewer households than the threshold, and a week never contains a hidden day', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deviceId: fc.integer({ min: 1, max: 40 }), day: fc.integer({ min: 0, max: 6 }), v: fc.integer({ min: 0, max: 20 }) }), { maxLength: 400 }),
        (specs) => {
          const devices = devicesOf(40, (i) => `w${i % 2}`);
          const readings: Reading[] = specs.map((s) => ({ deviceId: s.deviceId, at: weekStart + s.day * D + 1000, values: { v: s.v } }));
          const input = { level: 'personal' as const, measures, policy: personal, devices, readings };
          const week = computeRollup(input, 'week', weekStart);
          const hiddenDaily = new Set<string>();
          for (let d = 0; d < 7; d++) {
            const day = computeRollup(input, 'day', weekStart + d * D);
            for (const row of day.rows) assert.ok((row[4] as number) >= 10, 'daily group ≥ 10 households');
            day.suppressed.forEach((k) => hiddenDaily.add(k));
          }
          for (const row of week.rows) {
            assert.ok((row[4] as number) >= 10, 'weekly group ≥ 10 households');
            assert.ok(!hiddenDaily.has(String(row[3])), `week of ${row[3]} published although a day was hidden`);
          }
        },
      ),
    );
  });

  test('the gate passes a protected daily table with a standing approval and refuses without one', () => {
    const columns = rollupColumns('personal', measures, { ...personal, intervals: ['day'] });
    const ok = personalRollupEvidence({ columns, minHouseholds: 12, policy: { ...personal, intervals: ['day'] }, approvals: { submitter: 'user:1', approver: 'user:2' } });
    assert.equal(evaluateGate(ok, defaultGatePolicy).allowed, true);
    const same = evaluateGate({ ...ok, approvals: { submitter: 'user:1', approver: 'user:1' } }, defaultGatePolicy);
    assert.equal(same.allowed, false);
    assert.ok(same.checks.some((c) => c.id === 'personal.four_eyes' && !c.passed));
    const small = evaluateGate(personalRollupEvidence({ columns, minHouseholds: 9, policy: { ...personal, intervals: ['day'] }, approvals: { submitter: 'user:1', approver: 'user:2' } }), defaultGatePolicy);
    assert.ok(small.checks.some((c) => c.id === 'personal.household_group' && !c.passed));
  });

  test('definitions: personal streams must be daily or coarser, grouped, at the household floor, without min or max', () => {
    const p = (r: Partial<RollupPolicy>) => definitionProblems('personal', measures, { ...personal, ...r }, defaultGatePolicy);
    assert.deepEqual(p({}), []);
    assert.match(p({ intervals: ['hour'] }).join(), /daily or coarser/);
    assert.match(p({ spatial: { type: 'device' } }).join(), /never per device/);
    assert.match(p({ minHouseholds: 5 }).join(), /at least 10/);
    assert.match(p({ aggregates: ['max'] }).join(), /min or max/);
    assert.match(definitionProblems('public', [...measures, { ...measures[0] }], publicPolicy, defaultGatePolicy).join(), /twice/);
  });
});

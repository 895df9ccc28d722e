import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Actor } from '../../src/auth/actor';
import type { ActionContext } from '../../src/auth/auth-context';
import { iterateRows } from '../../src/db/data-table';
import { createDb } from '../../src/db/knex';
import { insertReadingsDirect } from '../../src/streams/reading.repository';
import { rollupColumns } from '../../src/streams/rollup';
import { startStreamScheduler } from '../../src/streams/stream-scheduler';
import { closeDueIntervals, closeStreamIntervals } from '../../src/streams/stream-release.service';
import { getStreamBySlug } from '../../src/streams/stream.repository';
import { approveRollupPolicy, createStream, updateRollupPolicy } from '../../src/streams/stream.service';
import { createTestDb, testPgUrl, type TestDb } from '../helpers/test-db';
import { airDefinition, makeDevice, makeStream, meterDefinition, streamPublishers } from '../helpers/stream-fixtures';

const H = 3600_000;
const D = 24 * H;
const secret = 'stream-release-test-secret-0123456789abcdef';
const t0 = Date.parse('2026-11-10T00:00:00Z');

let t: TestDb;
let pubs: { env: number; energy: number };
before(async () => {
  t = await createTestDb();
  pubs = await streamPublishers(t.db);
});
after(() => t.destroy());

const steward = (id: number, publisherId: number): ActionContext => ({ actor: { kind: 'user', id: `user:${id}`, userId: id, role: 'steward', publisherIds: [publisherId] } as Actor, requestId: null, client: null });

async function releases(slug: string) {
  return (await t.db('releases as r').join('datasets as d', 'd.id', 'r.dataset_id').where('d.slug', slug).orderBy('r.version').select('r.version', 'r.state', 'r.table_name', 'r.row_count', 'r.columns_json')) as Array<{ version: number; state: string; table_name: string; row_count: number; columns_json: string }>;
}
async function rows(tableName: string, columns: string) {
  const out = [];
  for await (const b of iterateRows(t.db, tableName as `rel_${number}`, JSON.parse(columns))) out.push(...b);
  return out;
}
const audits = async (action: string) => (await t.db('audit_log').where({ action }).select('details', 'outcome')) as Array<{ details: string; outcome: string }>;

describe('public streams', () => {
  test('each closed hour publishes its rollup and raw readings; edges and late data are handled; restarts neither skip nor repeat', async () => {
    const s = await makeStream(t.db, airDefinition('rel-air'), t0);
    const a = await makeDevice(t.db, secret, 'rel-air', 'rel-a', { lat: 52.2, lon: 0.1 });
    const b = await makeDevice(t.db, secret, 'rel-air', 'rel-b');
    await insertReadingsDirect(t.db, [
      { streamId: s.id, deviceId: a.device.id, seq: 1, at: t0, values: { pm25: 10, no2: 1 } },
      { streamId: s.id, deviceId: a.device.id, seq: 2, at: t0 + H - 1, values: { pm25: 20, no2: 3 } },
      { streamId: s.id, deviceId: b.device.id, seq: 1, at: t0 + 30 * 60_000, values: { pm25: 7, no2: null } },
      { streamId: s.id, deviceId: a.device.id, seq: 3, at: t0 + H, values: { pm25: 100, no2: 100 } },
    ]);
    // Before the late window has passed nothing closes.
    assert.deepEqual(await closeStreamIntervals(t.db, s.id, { now: t0 + H + 299_000 }), { stream: 'rel-air', closed: 0, releases: 0, blocked: null });
    // A late reading for the first hour, within the window, is still counted.
    await insertReadingsDirect(t.db, [{ streamId: s.id, deviceId: b.device.id, seq: 2, at: t0 + H - 10, values: { pm25: 9, no2: 2 } }]);
    const r1 = await closeStreamIntervals(t.db, s.id, { now: t0 + H + 300_000 });
    assert.deepEqual(r1, { stream: 'rel-air', closed: 1, releases: 2, blocked: null });
    const [rollup] = await releases('rel-air');
    const cols = rollupColumns('public', s.measures, s.rollup).map((c) => c.name);
    const data = await rows(rollup.table_name, rollup.columns_json);
    const byDevice = Object.fromEntries(data.map((r) => [r[cols.indexOf('device')], r]));
    assert.equal(byDevice['rel-a'][cols.indexOf('pm25_mean')], 15);
    assert.equal(byDevice['rel-a'][cols.indexOf('pm25_max')], 20, 'the reading at the next hour’s start is not in this hour');
    assert.equal(byDevice['rel-b'][cols.indexOf('readings')], 2, 'the late reading counted');
    assert.equal(byDevice['rel-b'][cols.indexOf('no2_mean')], 2, 'null values are skipped');
    const [raw] = await releases('rel-air-readings');
    assert.equal(raw.row_count, 4);

    // Run again at the same time (a restart): nothing is repeated.
    assert.equal((await closeStreamIntervals(t.db, s.id, { now: t0 + H + 300_000 })).closed, 0);
    // A long outage: three hours later each missed hour is closed once, in order (empty ones publish nothing).
    const r2 = await closeStreamIntervals(t.db, s.id, { now: t0 + 4 * H + 300_000 });
    assert.equal(r2.closed, 3);
    assert.equal((await getStreamBySlug(t.db, 'rel-air'))!.closedUntil, t0 + 4 * H);
    const versions = await releases('rel-air');
    assert.deepEqual(versions.map((v) => [v.version, v.state]), [[1, 'superseded'], [2, 'published']]);
    const closedAudits = (await audits('stream.interval_closed')).map((e) => JSON.parse(e.details)).filter((d) => d.stream === 'rel-air');
    assert.deepEqual(closedAudits.map((d) => d.start), [new Date(t0).toISOString(), new Date(t0 + H).toISOString()]);
  });

  test('a second database handle (another instance) never releases an interval twice', async () => {
    if (t.dialect !== 'pg') return; // SQLite in memory: one handle only; covered by the watermark re-check above
    const s = await makeStream(t.db, airDefinition('twice-air'), t0);
    const d = await makeDevice(t.db, secret, 'twice-air', 'twice-a');
    await insertReadingsDirect(t.db, [{ streamId: s.id, deviceId: d.device.id, seq: 1, at: t0 + 5, values: { pm25: 1 } }]);
    const schema = (await t.db.raw('select current_schema() as s')).rows[0].s as string;
    const other = await createDb(testPgUrl!, { schema });
    try {
      await Promise.all([closeStreamIntervals(t.db, s.id, { now: t0 + 2 * H }), closeStreamIntervals(other, s.id, { now: t0 + 2 * H })]);
    } finally {
      await other.destroy();
    }
    assert.deepEqual((await releases('twice-air')).map((r) => r.version), [1]);
  });
});

describe('personal streams', () => {
  test('only protected daily totals are published, after a second steward’s standing approval; refusals are audited once; a policy change voids the approval', async () => {
    const definer = steward(1, pubs.energy);
    const second = steward(2, pubs.energy);
    const s = await createStream(t.db, definer, meterDefinition('rel-meters'), { now: t0 });
    const wards: Array<[string, number]> = [['Abbey', 12], ['Castle', 10], ['Market', 9]];
    const batch = [];
    let n = 0;
    for (const [ward, homes] of wards) {
      for (let h = 0; h < homes; h++) {
        const d = await makeDevice(t.db, secret, 'rel-meters', `rel-m-${++n}`, { ward });
        for (let k = 0; k < 4; k++) batch.push({ streamId: s.id, deviceId: d.device.id, seq: k + 1, at: t0 + k * 6 * H, values: { kwh: 0.5 } });
      }
    }
    await insertReadingsDirect(t.db, batch);
    const due = t0 + D + 600_000;

    // No approval yet: the gate refuses, nothing is published, the refusal is audited once.
    for (let i = 0; i < 3; i++) assert.match(String((await closeStreamIntervals(t.db, s.id, { now: due })).blocked), /second steward/);
    assert.deepEqual(await releases('rel-meters'), []);
    const refused = await audits('stream.release_refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0].outcome, 'denied');

    // The definer cannot approve their own policy.
    await assert.rejects(approveRollupPolicy(t.db, definer, 'rel-meters'), /second steward must approve/);
    // A steward of another publisher cannot see it.
    await assert.rejects(approveRollupPolicy(t.db, steward(3, pubs.env), 'rel-meters'), /not found/i);
    await approveRollupPolicy(t.db, second, 'rel-meters', 1);

    const r = await closeStreamIntervals(t.db, s.id, { now: due });
    assert.deepEqual(r, { stream: 'rel-meters', closed: 1, releases: 1, blocked: null });
    const [rel] = await releases('rel-meters');
    const data = await rows(rel.table_name, rel.columns_json);
    assert.deepEqual(data.map((x) => [x[3], x[4], x[5], x[6]]), [['Abbey', 12, 48, 24], ['Castle', 10, 40, 20]], 'Market (9 homes) is suppressed');
    const cols = JSON.parse(rel.columns_json).map((c: { name: string }) => c.name);
    assert.ok(!cols.includes('device') && !cols.some((c: string) => /_(min|max)$/.test(c)), 'no device or extreme value published');
    const pub = await t.db('pub_releases').where({ id: (await t.db('releases').where({ table_name: rel.table_name }).first('id')).id }).first('protection_json', 'statement');
    const protection = JSON.parse(pub.protection_json);
    assert.deepEqual(protection.approvals, { submitter: 'user:1', approver: 'user:2' });
    assert.equal(protection.suppressedGroups, 1);
    assert.match(pub.statement, /at least 10 households/);

    // Changing the policy voids the standing approval: the next day is held again.
    await updateRollupPolicy(t.db, definer, 'rel-meters', { ...meterDefinition().rollup, lateSeconds: 1200 });
    const changed = (await getStreamBySlug(t.db, 'rel-meters'))!;
    assert.equal(changed.approvedBy, null);
    assert.equal(changed.policyVersion, 2);
    await insertReadingsDirect(t.db, batch.map((x) => ({ ...x, seq: x.seq + 10, at: x.at + D })));
    assert.match(String((await closeStreamIntervals(t.db, s.id, { now: due + D + 600_000 })).blocked), /second steward/);
    await assert.rejects(approveRollupPolicy(t.db, second, 'rel-meters', 1), /policy changed/);
    await approveRollupPolicy(t.db, second, 'rel-meters', 2);
    assert.equal((await closeStreamIntervals(t.db, s.id, { now: due + D + 600_000 })).releases, 1);
    const policyAudit = (await audits('stream.policy_updated')).map((e) => JSON.parse(e.details));
    assert.equal(policyAudit.at(-1).approvalVoided, true);
  });

  test('a personal stream may not be defined per device, hourly or below the household floor', async () => {
    const def = meterDefinition('bad-meters');
    await assert.rejects(makeStream(t.db, { ...def, rollup: { ...def.rollup, intervals: ['hour'] } }), /daily or coarser/);
    await assert.rejects(makeStream(t.db, { ...def, rollup: { ...def.rollup, spatial: { type: 'device' } } }), /never per device/);
    await assert.rejects(makeStream(t.db, { ...def, rollup: { ...def.rollup, minHouseholds: 3 } }), /at least 10/);
  });
});

describe('scheduler', () => {
  test('exactly one instance leads; when it stops another takes over', async () => {
    const a = startStreamScheduler(t.db, { tickSeconds: 0 });
    if (t.dialect !== 'pg') {
      assert.ok(await a.tick(t0));
      await a.stop();
      return;
    }
    const schema = (await t.db.raw('select current_schema() as s')).rows[0].s as string;
    const dbB = await createDb(testPgUrl!, { schema });
    const dbC = await createDb(testPgUrl!, { schema });
    const b = startStreamScheduler(dbB, { tickSeconds: 0 });
    const c = startStreamScheduler(dbC, { tickSeconds: 0 });
    try {
      const results = await Promise.all([a.tick(t0), b.tick(t0), c.tick(t0)]);
      assert.equal(results.filter((r) => r !== null).length, 1, 'one leader');
      const leader = [a, b, c].find((x) => x.isLeader())!;
      const followers = [a, b, c].filter((x) => x !== leader);
      assert.equal(await followers[0].tick(t0), null);
      await leader.stop();
      const next = await Promise.all(followers.map((f) => f.tick(t0)));
      assert.equal(next.filter((r) => r !== null).length, 1, 'a follower took over');
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
      await dbB.destroy();
      await dbC.destroy();
    }
  });

  test('closeDueIntervals covers every stream', async () => {
    const reports = await closeDueIntervals(t.db, { now: t0 });
    assert.ok(reports.length >= 2);
  });
});

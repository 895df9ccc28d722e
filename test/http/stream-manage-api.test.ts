import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { verifyAuditChain } from '../../src/audit/audit-verify';
import { createAuthTestApp, makeUser, tokenFor } from '../helpers/auth-fixtures';
import { airDefinition, meterDefinition, streamPublishers } from '../helpers/stream-fixtures';
import type { TestApp } from '../helpers/test-app';

/**
 * `/api/v1/manage/streams` with stewards' tokens: a stream's datasets are created (and audited)
 * like every other dataset; the rollup policy's rules (an edit of an outdated version is refused,
 * an unchanged policy is not saved) that the web form shares.
 */

let t: TestApp & { dataDir: string };
let definer: string;
let approver: string;
let envSteward: string;

before(async () => {
  t = await createAuthTestApp();
  const pubs = await streamPublishers(t.db);
  const a = await makeUser(t.db, t.config, { email: 'alex@anytown.gov.uk', role: 'steward', publisherIds: [pubs.energy] });
  const b = await makeUser(t.db, t.config, { email: 'sam@anytown.gov.uk', role: 'steward', publisherIds: [pubs.energy] });
  definer = await tokenFor(t.db, a);
  approver = await tokenFor(t.db, b);
  envSteward = await tokenFor(t.db, await makeUser(t.db, t.config, { email: 'env@anytown.gov.uk', role: 'steward', publisherIds: [pubs.env] }));
});
after(() => t.close());

const api = (token: string) => ({
  get: (path: string) => request(t.app).get(`/api/v1/manage/streams${path}`).set('Authorization', `Bearer ${token}`),
  post: (path: string, body: unknown) => request(t.app).post(`/api/v1/manage/streams${path}`).set('Authorization', `Bearer ${token}`).send(body as object),
  put: (path: string, body: unknown) => request(t.app).put(`/api/v1/manage/streams${path}`).set('Authorization', `Bearer ${token}`).send(body as object),
});
const count = async (action: string) => Number(((await t.db('audit_log').where({ action }).count({ n: '*' }).first()) as { n: number | string }).n);

describe('POST /api/v1/manage/streams', () => {
  const created = async (slug: string) =>
    (await t.db('audit_log').where({ action: 'dataset.created' }).whereRaw('details like ?', [`%"slug":"${slug}"%`]).select('seq', 'actor', 'object_id', 'dataset_id', 'details')) as Array<{
      seq: number;
      actor: string;
      object_id: string;
      dataset_id: number;
      details: string;
    }>;

  test('a public stream’s two datasets are audited as dataset.created, before the stream, in the same chain', async () => {
    await api(envSteward).post('', airDefinition('audited-air')).expect(201);
    const stream = await t.db('audit_log').where({ action: 'ingest.stream_created' }).orderBy('seq', 'desc').first('seq', 'actor');
    for (const slug of ['audited-air', 'audited-air-readings']) {
      const entries = await created(slug);
      assert.equal(entries.length, 1, `one dataset.created for ${slug}`);
      const [e] = entries;
      const dataset = await t.db('datasets').where({ slug }).first('id');
      assert.deepEqual([Number(e.object_id), Number(e.dataset_id)], [Number(dataset.id), Number(dataset.id)]);
      assert.equal(e.actor, stream.actor, 'the same actor as the stream');
      assert.ok(Number(e.seq) < Number(stream.seq));
      assert.deepEqual(JSON.parse(e.details), { slug, title: slug === 'audited-air' ? 'Air audited-air' : 'Air audited-air: raw readings', publisher: 'env', level: 'public', via: 'stream' });
    }
    const v = await verifyAuditChain(t.db);
    assert.equal(v.ok, true, JSON.stringify(v));
  });

  test('a personal stream has one dataset, audited; a refused definition audits nothing', async () => {
    await api(definer).post('', meterDefinition('audited-meters')).expect(201);
    assert.equal((await created('audited-meters')).length, 1);
    assert.equal((await created('audited-meters-readings')).length, 0, 'no raw-readings dataset for a personal stream');
    const before = await count('dataset.created');
    await api(definer).post('', { ...meterDefinition('refused-meters'), rollup: { ...meterDefinition().rollup, intervals: ['hour'] } }).expect(400);
    await api(definer).post('', meterDefinition('audited-meters')).expect(409);
    assert.equal(await count('dataset.created'), before);
    assert.equal((await verifyAuditChain(t.db)).ok, true);
  });
});

describe('PUT /api/v1/manage/streams/:slug/policy', () => {
  const rollup = meterDefinition().rollup;

  /** A personal stream at policy version 2 with a standing approval of version 2. */
  async function approvedAtVersion2(slug: string) {
    await api(definer).post('', meterDefinition(slug)).expect(201);
    await api(definer).put(`/${slug}/policy`, { ...rollup, lateSeconds: 1200 }).expect(200);
    const s = (await api(approver).post(`/${slug}/approval`, { policyVersion: 2 }).expect(200)).body.stream;
    assert.deepEqual([s.policy.version, s.approval.standing], [2, true]);
    return s;
  }

  test('a change made against an outdated version is a 409 naming the current version, and changes nothing', async () => {
    const before = await approvedAtVersion2('stale-meters');
    const updates = await count('stream.policy_updated');
    const res = await api(definer).put('/stale-meters/policy?policyVersion=1', { ...rollup, minHouseholds: 15 }).expect(409);
    assert.equal(res.body.error.code, 'conflict');
    assert.match(res.body.error.message, /you edited version 1; it is now version 2/);
    const after = (await api(definer).get('/stale-meters').expect(200)).body.stream;
    assert.deepEqual(after, before, 'same version, policy and approval');
    assert.equal(await count('stream.policy_updated'), updates, 'nothing audited');
  });

  test('an unchanged policy is a 200 that saves nothing: same version, the approval stands, no audit entry', async () => {
    const before = await approvedAtVersion2('same-meters');
    const updates = await count('stream.policy_updated');
    const current = { ...rollup, lateSeconds: 1200 };
    const same = await api(definer).put('/same-meters/policy?policyVersion=2', current).expect(200);
    assert.equal(same.body.changed, false);
    assert.deepEqual(same.body.stream, before);
    // Without a version, with the keys in another order and the defaults spelt out: still the same policy.
    const reordered = { minHouseholds: 10, lateSeconds: 1200, spatial: { type: 'ward' }, aggregates: ['sum', 'mean'], intervals: ['day'] };
    const again = await api(definer).put('/same-meters/policy', reordered).expect(200);
    assert.deepEqual([again.body.changed, again.body.stream.policy.version, again.body.stream.approval.standing], [false, 2, true]);
    assert.equal(await count('stream.policy_updated'), updates, 'nothing audited');
  });

  test('a changed policy is a new version and voids the approval, with or without the version it was made against', async () => {
    await approvedAtVersion2('changed-meters');
    const updates = await count('stream.policy_updated');
    const res = await api(definer).put('/changed-meters/policy?policyVersion=2', { ...rollup, lateSeconds: 1200, minHouseholds: 12 }).expect(200);
    assert.equal(res.body.changed, true);
    assert.deepEqual([res.body.stream.policy.version, res.body.stream.rollup.minHouseholds, res.body.stream.approval.standing], [3, 12, false]);
    const audit = await t.db('audit_log').where({ action: 'stream.policy_updated' }).orderBy('seq', 'desc').first('details');
    assert.match(String(audit.details), /"approvalVoided":true/);
    assert.match(String(audit.details), /"policyVersion":3/);
    const unguarded = await api(definer).put('/changed-meters/policy', { ...rollup, lateSeconds: 1200, minHouseholds: 14 }).expect(200);
    assert.deepEqual([unguarded.body.changed, unguarded.body.stream.policy.version], [true, 4]);
    assert.equal(await count('stream.policy_updated'), updates + 2);
  });

  test('a policyVersion that is not a version number is a 400 naming the parameter', async () => {
    await api(definer).post('', meterDefinition('bad-version-meters')).expect(201);
    for (const v of ['0', 'two', '']) {
      const res = await api(definer).put(`/bad-version-meters/policy?policyVersion=${v}`, { ...rollup, minHouseholds: 11 }).expect(400);
      assert.match(res.body.error.message, /policyVersion/);
    }
    assert.equal((await api(definer).get('/bad-version-meters').expect(200)).body.stream.policy.version, 1);
  });

  test('the OpenAPI document describes the stream routes, with the optional policyVersion', async () => {
    const doc = (await request(t.app).get('/api/v1/openapi.json').expect(200)).body;
    const put = doc.paths['/manage/streams/{slug}/policy'].put;
    const param = put.parameters.find((p: { name: string }) => p.name === 'policyVersion');
    assert.deepEqual([param.in, param.required], ['query', false]);
    assert.ok(put.responses['409']);
    assert.deepEqual(Object.keys(put.requestBody.content['application/json'].schema.properties).sort(), ['aggregates', 'intervals', 'lateSeconds', 'minHouseholds', 'spatial']);
    for (const p of ['/manage/streams', '/manage/streams/{slug}', '/manage/streams/{slug}/approval', '/manage/streams/{slug}/devices', '/manage/streams/{slug}/devices/{key}']) assert.ok(doc.paths[p], `${p} is documented`);
  });
});

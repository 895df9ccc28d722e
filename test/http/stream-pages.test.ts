import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { parseCredential, signBatch } from '../../src/streams/signature';
import { createAuthTestApp, makeUser, postForm, publisherIdsBySlug, signedInAgent, tokenFor } from '../helpers/auth-fixtures';
import type { TestApp } from '../helpers/test-app';
import { readings } from '../helpers/stream-fixtures';

let t: TestApp & { dataDir: string };
let energyA: { id: number; email: string; password: string };
let energyB: { id: number; email: string; password: string };
let envSteward: { id: number; email: string; password: string };

before(async () => {
  t = await createAuthTestApp({ demo: true });
  const ids = await publisherIdsBySlug(t.db);
  energyA = await makeUser(t.db, t.config, { email: 'alex@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('anytown-energy-partnership')!] });
  energyB = await makeUser(t.db, t.config, { email: 'sam@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('anytown-energy-partnership')!] });
  envSteward = await makeUser(t.db, t.config, { email: 'env@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('environmental-health')!] });
});
after(() => t.close());

/** A personal smart-meter stream's definition as the API takes it (daily ward totals over ≥ 10 homes). */
const personalStream = (slug: string) => ({
  slug,
  title: 'Pilot meters',
  publisher: 'anytown-energy-partnership',
  level: 'personal',
  measures: [{ name: 'kwh', unit: 'kWh', min: 0, max: 20 }],
  rollup: { intervals: ['day'], aggregates: ['sum'], spatial: { type: 'ward' }, minHouseholds: 10 },
});

const scripts = (html: string) => [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);

describe('live pages', () => {
  test('the streams list and its JSON twin', async () => {
    const html = await request(t.app).get('/streams').expect(200);
    for (const s of ['air-quality-live', 'car-park-occupancy-live', 'household-energy-live']) assert.match(html.text, new RegExp(`/streams/${s}"`));
    const json = (await request(t.app).get('/streams.json').expect(200)).body;
    assert.equal(json.streams.length, 3);
    assert.match(json.streams[0].downloads.rollups.csv, /^http:\/\/plaza\.test\/datasets\/.+\/releases\/latest\/data\.csv$/);
  });

  test('a public stream: devices with positions and latest readings, a chart from our origin, no inline script', async () => {
    const res = await request(t.app).get('/streams/air-quality-live').expect(200);
    assert.match(res.headers['content-security-policy'], /script-src 'self'/);
    assert.equal((res.text.match(/<circle /g) ?? []).length, 6, 'six devices on the map');
    assert.match(res.text, /aq-high-street/);
    assert.match(res.text, /\/datasets\/air-quality-live\/releases\/latest\/data\.csv/);
    assert.match(res.text, /\/datasets\/air-quality-live-readings/);
    for (const attrs of scripts(res.text)) assert.match(attrs, /src="\//, 'every script comes from our origin');
    assert.doesNotMatch(res.text, /\sstyle=/);
    assert.match(res.text, /src="\/vendor\/uplot\/uPlot\.iife\.min\.js"/);
    const lib = await request(t.app).get('/vendor/uplot/uPlot.iife.min.js').expect(200);
    assert.match(lib.headers['content-type'], /javascript/);
    await request(t.app).get('/vendor/uplot/uPlot.min.css').expect(200);
    await request(t.app).get('/public/streams-live.js').expect(200);
    const json = (await request(t.app).get('/streams/air-quality-live.json').expect(200)).body;
    assert.equal(json.devices.length, 6);
    assert.deepEqual(Object.keys(json.series.values).sort(), ['no2', 'pm10', 'pm25']);
    assert.equal(json.latestRelease.version, 3);
  });

  test('new readings appear on the live page at once', async () => {
    const res = await request(t.app).post('/api/v1/manage/streams/air-quality-live/devices').set('Authorization', `Bearer ${await tokenFor(t.db, { id: envSteward.id })}`).send({ key: 'aq-new', label: 'New sensor', lat: 52.21, lon: 0.13 }).expect(201);
    const { key } = parseCredential(res.body.credential)!;
    const body = JSON.stringify(readings(1, Date.now() - 1000, () => ({ pm25: 42.5, no2: 17 })));
    const ts = Math.floor(Date.now() / 1000);
    await request(t.app).post('/api/v1/streams/air-quality-live/readings').set('Authorization', `Bearer ${res.body.credential}`).set('Content-Type', 'application/json').set('X-Plaza-Timestamp', String(ts)).set('X-Plaza-Sequence', '1').set('X-Plaza-Signature', signBatch(key, ts, 1, body)).send(body).expect(200);
    const json = (await request(t.app).get('/streams/air-quality-live.json').expect(200)).body;
    const d = json.devices.find((x: { key: string }) => x.key === 'aq-new');
    assert.equal(d.latest.values.pm25, 42.5);
    assert.ok(json.series.times.length >= 1);
  });

  test('a personal stream shows only its published protected totals: no device, position or reading', async () => {
    const res = await request(t.app).get('/streams/household-energy-live').expect(200);
    assert.doesNotMatch(res.text, /meter-0/);
    assert.doesNotMatch(res.text, /<circle /);
    assert.match(res.text, /Abbey/);
    assert.doesNotMatch(res.text, /Market/, 'the suppressed ward is not shown');
    const json = (await request(t.app).get('/streams/household-energy-live.json').expect(200)).body;
    assert.deepEqual(json.devices, []);
    assert.deepEqual(json.series.times, []);
    assert.equal(json.downloads.readings, null);
    await request(t.app).get('/datasets/household-energy-live-readings').expect(404);
  });

  test('an unknown stream is 404', async () => {
    await request(t.app).get('/streams/nope').expect(404);
    await request(t.app).get('/streams/nope.json').expect(404);
  });
});

describe('stewards', () => {
  test('stewards see their publishers’ streams only', async () => {
    const env = await signedInAgent(t.app, envSteward.email, envSteward.password);
    const list = (await env.get('/manage/streams.json').expect(200)).body;
    assert.deepEqual(list.streams.map((s: { slug: string }) => s.slug), ['air-quality-live']);
    await env.get('/manage/streams/household-energy-live').expect(404);
    await request(t.app).get('/manage/streams.json').expect(401);
  });

  test('define a personal stream by API, approve it on the web as a second steward (CSRF), add and revoke a device', async () => {
    const tokenA = await tokenFor(t.db, { id: energyA.id });
    const def = personalStream('pilot-meters');
    const bad = await request(t.app).post('/api/v1/manage/streams').set('Authorization', `Bearer ${tokenA}`).send({ ...def, rollup: { ...def.rollup, intervals: ['hour'] } }).expect(400);
    assert.match(bad.body.error.message, /daily or coarser/);
    const created = await request(t.app).post('/api/v1/manage/streams').set('Authorization', `Bearer ${tokenA}`).send(def).expect(201);
    assert.equal(created.body.stream.approval.standing, false);
    await request(t.app).post('/api/v1/manage/streams').set('Authorization', `Bearer ${await tokenFor(t.db, { id: envSteward.id })}`).send({ ...def, slug: 'x-meters' }).expect(404);

    const a = await signedInAgent(t.app, energyA.email, energyA.password);
    const pageA = await a.get('/manage/streams/pilot-meters').expect(200);
    assert.match(pageA.text, /You defined this policy/);
    assert.doesNotMatch(pageA.text, /Approve policy version/);
    const self = await request(t.app).post('/api/v1/manage/streams/pilot-meters/approval').set('Authorization', `Bearer ${tokenA}`).send({}).expect(409);
    assert.match(self.body.error.message, /second steward/);

    const b = await signedInAgent(t.app, energyB.email, energyB.password);
    const noCsrf = await b.post('/manage/streams/pilot-meters/approval').type('form').send({ policyVersion: '1' });
    assert.equal(noCsrf.status, 403);
    const ok = await postForm(b, '/manage/streams/pilot-meters', '/manage/streams/pilot-meters/approval', { policyVersion: '1' });
    assert.equal(ok.status, 303);
    const after = (await b.get('/manage/streams/pilot-meters.json').expect(200)).body;
    assert.deepEqual([after.stream.approval.standing, after.stream.approval.by], [true, `user:${energyB.id}`]);
    const audit = await t.db('audit_log').where({ action: 'stream.policy_approved' }).orderBy('seq', 'desc').first('actor');
    assert.equal(audit.actor, `user:${energyB.id}`);

    const added = await postForm(b, '/manage/streams/pilot-meters', '/manage/streams/pilot-meters/devices', { key: 'pilot-1', ward: 'Abbey', label: '', lat: '', lon: '' });
    assert.equal(added.status, 201);
    assert.match(added.text, /plzd_pilot-1\.[A-Za-z0-9_-]{43}/);
    assert.equal(added.headers['cache-control'], 'no-store');
    const revoked = await postForm(b, '/manage/streams/pilot-meters', '/manage/streams/pilot-meters/devices/pilot-1/revoke', {});
    assert.equal(revoked.status, 303);
    const devices = (await b.get('/manage/streams/pilot-meters.json').expect(200)).body.devices;
    assert.ok(devices[0].revoked);
    assert.equal(JSON.stringify(devices).includes('salt'), false, 'no key material in the JSON');
  });
});

describe('a deployment that tightens the household threshold in its release policy file', () => {
  let strict: TestApp & { dataDir: string };
  let steward: { id: number; email: string; password: string };
  before(async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const os = await import('node:os');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-policy-')), 'release-policy.json');
    fs.writeFileSync(file, JSON.stringify({ personal: { householdMinGroup: 20 } }));
    strict = await createAuthTestApp({ demo: true, env: { RELEASE_POLICY_FILE: file } });
    const ids = await publisherIdsBySlug(strict.db);
    steward = await makeUser(strict.db, strict.config, { email: 'strict@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('anytown-energy-partnership')!] });
  });
  after(() => strict.close());

  test('personal streams are held to the file’s threshold on the API and the form, not the built-in floor', async () => {
    const token = await tokenFor(strict.db, { id: steward.id });
    const def = personalStream('strict-meters');
    const refused = await request(strict.app).post('/api/v1/manage/streams').set('Authorization', `Bearer ${token}`).send(def).expect(400);
    assert.match(refused.body.error.message, /minHouseholds must be at least 20/);
    await request(strict.app).post('/api/v1/manage/streams').set('Authorization', `Bearer ${token}`).send({ ...def, rollup: { ...def.rollup, minHouseholds: 20 } }).expect(201);
    const lowered = await request(strict.app).put('/api/v1/manage/streams/strict-meters/policy').set('Authorization', `Bearer ${token}`).send({ ...def.rollup, minHouseholds: 12 }).expect(400);
    assert.match(lowered.body.error.message, /at least 20/);
    const agent = await signedInAgent(strict.app, steward.email, steward.password);
    const form = await agent.get('/manage/streams/new').expect(200);
    assert.match(form.text, /name="minHouseholds"[^>]*value="20"|value="20"[^>]*name="minHouseholds"/, 'the form starts at the file’s threshold');
  });
});

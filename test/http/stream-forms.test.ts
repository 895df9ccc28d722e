import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createAuthTestApp, csrfFrom, makeUser, postForm, publisherIdsBySlug, signedInAgent } from '../helpers/auth-fixtures';
import type { TestApp } from '../helpers/test-app';

/**
 * The stewards' stream forms: "Define a sensor stream" (`/manage/streams/new` → `POST
 * /manage/streams`) and "Change the rollup policy" (`/manage/streams/<slug>/policy`), with a
 * session and CSRF, checked against what the API then shows; bad forms are a 400 with a GOV.UK
 * error summary naming the fields and create nothing; other publishers' stewards get 404.
 */

let t: TestApp;
let env: TestAgent;
let energyA: TestAgent;
let energyB: TestAgent;
let admin: TestAgent;
let researcher: TestAgent;
let energyAId: number;

before(async () => {
  t = await createAuthTestApp({ demo: true });
  const ids = await publisherIdsBySlug(t.db);
  const e = await makeUser(t.db, t.config, { email: 'env@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('environmental-health')!] });
  const a = await makeUser(t.db, t.config, { email: 'alex@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('anytown-energy-partnership')!] });
  const b = await makeUser(t.db, t.config, { email: 'sam@anytown.gov.uk', role: 'steward', publisherIds: [ids.get('anytown-energy-partnership')!] });
  const ad = await makeUser(t.db, t.config, { email: 'admin@anytown.gov.uk', role: 'admin' });
  const r = await makeUser(t.db, t.config, { email: 'reader@example.org', role: 'researcher' });
  energyAId = a.id;
  env = await signedInAgent(t.app, e.email, e.password);
  energyA = await signedInAgent(t.app, a.email, a.password);
  energyB = await signedInAgent(t.app, b.email, b.password);
  admin = await signedInAgent(t.app, ad.email, ad.password);
  researcher = await signedInAgent(t.app, r.email, r.password);
});
after(() => t.close());

const riverForm = {
  slug: 'river-levels',
  title: 'River levels',
  summary: 'Water level and flow at the river gauges.',
  publisher: 'environmental-health',
  level: 'public',
  'measures-0-name': 'level',
  'measures-0-title': 'Water level',
  'measures-0-unit': 'm',
  'measures-0-min': '0',
  'measures-0-max': '10',
  'measures-1-name': '',
  'measures-1-title': '',
  'measures-1-unit': '',
  'measures-1-min': '',
  'measures-1-max': '',
  'measures-2-name': 'flow',
  'measures-2-title': '',
  'measures-2-unit': 'm³/s',
  'measures-2-min': '0',
  'measures-2-max': '400',
  intervals: ['hour', 'day'],
  aggregates: ['mean', 'max'],
  spatial: 'device',
  cellDegrees: '',
  resolution: '',
  lateMinutes: '10',
  minHouseholds: '10',
};

const streamCount = async () => Number(((await t.db('streams').count({ n: '*' }).first()) as { n: number | string }).n);
const datasetCount = async () => Number(((await t.db('datasets').count({ n: '*' }).first()) as { n: number | string }).n);
/** The links of the error summary: the ids of the fields it names. */
const summaryLinks = (html: string) => {
  const start = html.indexOf('govuk-error-summary__list');
  assert.ok(start > 0, 'an error summary');
  const list = html.slice(start, html.indexOf('</ul>', start));
  return [...list.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
};

/** The form's current fields as a browser would send them (inputs, checked boxes, selected options, textareas). */
function fieldsOf(html: string, formId: string): Record<string, string | string[]> {
  const start = html.indexOf(`id="${formId}"`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string | string[]> = {};
  const unescape = (v: string) => v.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const add = (name: string, value: string) => {
    const prev = out[name];
    out[name] = prev === undefined ? unescape(value) : Array.isArray(prev) ? [...prev, unescape(value)] : [prev, unescape(value)];
  };
  for (const m of form.matchAll(/<input ([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(m[1])?.[1];
    const type = /type="([^"]*)"/.exec(m[1])?.[1] ?? 'text';
    if (!name || ((type === 'radio' || type === 'checkbox') && !/\schecked/.test(m[1]))) continue;
    add(name, /value="([^"]*)"/.exec(m[1])?.[1] ?? '');
  }
  for (const m of form.matchAll(/<select[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) add(m[1], /<option value="([^"]*)" selected>/.exec(m[2])?.[1] ?? /<option value="([^"]*)"/.exec(m[2])?.[1] ?? '');
  for (const m of form.matchAll(/<textarea[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) add(m[1], m[2]);
  return out;
}

describe('define a sensor stream', () => {
  test('the list links to the form; the form offers only the steward’s publishers, both levels with hints, and every interval and aggregate', async () => {
    const list = await env.get('/manage/streams').expect(200);
    assert.match(list.text, /<a href="\/manage\/streams\/new" role="button" draggable="false" class="govuk-button"[^>]*>Define a stream<\/a>/);
    const res = await env.get('/manage/streams/new').expect(200);
    assert.match(res.text, /<h1 class="govuk-heading-l">Define a sensor stream<\/h1>/);
    csrfFrom(res.text);
    const options = [...res.text.matchAll(/<option value="([^"]*)"[^>]*>/g)].map((m) => m[1]);
    assert.ok(options.includes('environmental-health'));
    assert.ok(!options.includes('anytown-energy-partnership'), 'not a publisher of theirs');
    assert.match(res.text, /<option value="environmental-health" selected>/, 'their only publisher is chosen for them');
    assert.match(res.text, /id="level" name="level" type="radio" value="public"/);
    assert.match(res.text, /id="level-2" name="level" type="radio" value="personal"/);
    assert.match(res.text, /id="level-2-hint"[^>]*>[^<]*Raw readings are never published/);
    for (const i of ['15min', 'hour', 'day', 'week']) assert.match(res.text, new RegExp(`name="intervals" type="checkbox" value="${i}"`));
    for (const a of ['mean', 'min', 'max', 'sum', 'count']) assert.match(res.text, new RegExp(`name="aggregates" type="checkbox" value="${a}"`));
    for (const s of ['device', 'all', 'ward', 'grid', 'h3']) assert.match(res.text, new RegExp(`<option value="${s}"`));
    assert.equal((res.text.match(/id="measures-\d+-name"/g) ?? []).length, 5, 'five measure rows');
    assert.doesNotMatch(res.text, /<script>|\sstyle="/);
    const json = (await env.get('/manage/streams/new.json').expect(200)).body;
    assert.deepEqual(json.publishers, [{ slug: 'environmental-health', name: json.publishers[0].name }]);
    const all = (await admin.get('/manage/streams/new.json').expect(200)).body;
    assert.ok(all.publishers.length > 3, 'an admin may choose any publisher');
  });

  test('nobody else has the form: signed out, or no publisher to define streams for', async () => {
    const anon = await request(t.app).get('/manage/streams/new');
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.location, '/sign-in?next=%2Fmanage%2Fstreams%2Fnew');
    await request(t.app).post('/manage/streams').type('form').send(riverForm).expect(401);
    await researcher.get('/manage/streams/new').expect(404);
    const list = await researcher.get('/manage/streams').expect(200);
    assert.doesNotMatch(list.text, /Define a stream/);
  });

  test('a stream defined through the form is on the list and in the API with its measures and rollup', async () => {
    const res = await postForm(env, '/manage/streams/new', '/manage/streams', riverForm);
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, '/manage/streams/river-levels');
    const list = (await env.get('/manage/streams.json').expect(200)).body;
    assert.ok(list.streams.some((s: { slug: string }) => s.slug === 'river-levels'));
    assert.match((await env.get('/manage/streams').expect(200)).text, /href="\/manage\/streams\/river-levels">River levels<\/a>/);
    const api = (await env.get('/api/v1/manage/streams/river-levels').expect(200)).body;
    assert.equal(api.stream.level, 'public');
    assert.deepEqual(api.stream.measures, [
      { name: 'level', title: 'Water level', unit: 'm', min: 0, max: 10 },
      { name: 'flow', unit: 'm³/s', min: 0, max: 400 },
    ]);
    assert.deepEqual(api.stream.rollup, { intervals: ['hour', 'day'], aggregates: ['mean', 'max'], spatial: { type: 'device' }, lateSeconds: 600 });
    assert.equal(api.stream.policy.version, 1);
    const audit = await t.db('audit_log').where({ action: 'ingest.stream_created' }).orderBy('seq', 'desc').first('actor', 'details');
    assert.match(String(audit.details), /river-levels/);
    await env.get('/manage/streams/river-levels').expect(200);
  });

  test('a bad form is a 400 with an error summary naming the fields, keeps what was typed, and creates nothing', async () => {
    const [streams, datasets] = [await streamCount(), await datasetCount()];
    const res = await postForm(env, '/manage/streams/new', '/manage/streams', {
      ...riverForm,
      slug: 'River Levels!',
      title: '',
      'measures-2-min': '50',
      'measures-2-max': '5',
    });
    assert.equal(res.status, 400);
    assert.match(res.text, /<h2 class="govuk-error-summary__title">There is a problem<\/h2>/);
    assert.deepEqual(summaryLinks(res.text), ['slug', 'title', 'measures-2-max']);
    assert.match(res.text, /<p id="title-error" class="govuk-error-message">/);
    assert.match(res.text, /id="measures-2-max-error"[^>]*>.*Measure 3: the valid maximum must be above the minimum/);
    assert.match(res.text, /class="govuk-input govuk-input--width-20 govuk-input--error" id="slug" name="slug" type="text" value="River Levels!"/, 'what was typed, marked');
    assert.match(res.text, /id="measures-2-min" name="measures-2-min" type="text" value="50"/);
    assert.match(res.text, /name="intervals" type="checkbox" value="day" checked/);
    assert.match(res.text, /<title>Error: Define a sensor stream/, 'the title says there is an error');
    assert.deepEqual([await streamCount(), await datasetCount()], [streams, datasets], 'nothing created');
  });

  test('a taken slug (a stream’s or a dataset’s) is a 400 on the slug field', async () => {
    const streams = await streamCount();
    const dup = await postForm(env, '/manage/streams/new', '/manage/streams', { ...riverForm, slug: 'air-quality-live' });
    assert.equal(dup.status, 400);
    assert.deepEqual(summaryLinks(dup.text), ['slug']);
    assert.match(dup.text, /Slug: &#34;air-quality-live&#34; is already taken by a dataset or stream/);
    const readings = await postForm(env, '/manage/streams/new', '/manage/streams', { ...riverForm, slug: 'air-quality-live-readings' });
    assert.equal(readings.status, 400);
    assert.deepEqual(summaryLinks(readings.text), ['slug']);
    // "new" would be hidden behind /manage/streams/new.
    const reserved = await postForm(env, '/manage/streams/new', '/manage/streams', { ...riverForm, slug: 'new' });
    assert.equal(reserved.status, 400);
    assert.deepEqual(summaryLinks(reserved.text), ['slug']);
    assert.equal(await streamCount(), streams);
  });

  test('personal streams: the household rules are checked on the form, on the fields they are about', async () => {
    const res = await postForm(energyA, '/manage/streams/new', '/manage/streams', {
      ...riverForm,
      slug: 'pilot-meters',
      publisher: 'anytown-energy-partnership',
      level: 'personal',
      minHouseholds: '4',
    });
    assert.equal(res.status, 400);
    assert.deepEqual(summaryLinks(res.text), ['intervals', 'aggregates', 'spatial', 'minHouseholds']);
    assert.match(res.text, /A personal stream publishes daily or coarser/);
  });

  test('a steward cannot define a stream for another publisher, even by editing the form', async () => {
    const streams = await streamCount();
    const res = await postForm(env, '/manage/streams/new', '/manage/streams', { ...riverForm, slug: 'energy-grab', publisher: 'anytown-energy-partnership' });
    assert.equal(res.status, 400);
    assert.deepEqual(summaryLinks(res.text), ['publisher']);
    assert.equal(await streamCount(), streams);
  });

  test('"Add another measure" shows the form again with one more row, keeping what was typed and saving nothing', async () => {
    const streams = await streamCount();
    const first = await env.get('/manage/streams/new').expect(200);
    assert.match(first.text, /<button type="submit" name="addMeasure" value="yes" class="govuk-button govuk-button--secondary"/);
    const res = await postForm(env, '/manage/streams/new', '/manage/streams', { ...fieldsOf(first.text, 'stream-form'), slug: 'more-rows', 'measures-0-name': 'pm25', addMeasure: 'yes' });
    assert.equal(res.status, 200);
    assert.equal((res.text.match(/id="measures-\d+-name"/g) ?? []).length, 6);
    assert.match(res.text, /id="measures-0-name" name="measures-0-name" type="text" value="pm25"/);
    assert.match(res.text, /id="slug" name="slug" type="text" value="more-rows"/);
    assert.doesNotMatch(res.text, /govuk-error-summary/);
    assert.equal(await streamCount(), streams);
  });

  test('without the CSRF token the form is refused', async () => {
    const res = await env.post('/manage/streams').type('form').send({ ...riverForm, slug: 'no-csrf' });
    assert.equal(res.status, 403);
  });

  test('what was typed is escaped when the form comes back', async () => {
    const res = await postForm(env, '/manage/streams/new', '/manage/streams', { ...riverForm, slug: 'x"><script>alert(1)</script>', title: '<img src=x onerror=alert(1)>' });
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.text, /<script>alert|<img src=x/);
    assert.match(res.text, /value="x&#34;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });
});

describe('change the rollup policy', () => {
  test('the stream page links to the form, which opens the current policy', async () => {
    const page = await env.get('/manage/streams/river-levels').expect(200);
    assert.match(page.text, /href="\/manage\/streams\/river-levels\/policy">Change<span class="govuk-visually-hidden"> the rollup policy<\/span>/);
    const res = await env.get('/manage/streams/river-levels/policy').expect(200);
    assert.match(res.text, /<h1 class="govuk-heading-l">Change the rollup policy<\/h1>/);
    const f = fieldsOf(res.text, 'policy-form');
    assert.deepEqual([f.intervals, f.aggregates, f.spatial, f.lateMinutes, f.policyVersion], [['hour', 'day'], ['mean', 'max'], 'device', '10', '1']);
    assert.equal(f.minHouseholds, undefined, 'no household field on a public stream');
    assert.match(res.text, /it stays hourly/);
  });

  test('a steward of another publisher cannot open or post it (404)', async () => {
    await energyA.get('/manage/streams/river-levels/policy').expect(404);
    await energyA.get('/manage/streams/river-levels/policy.json').expect(404);
    const res = await postForm(energyA, '/manage/streams/new', '/manage/streams/river-levels/policy', { policyVersion: '1', intervals: 'hour', aggregates: 'mean', spatial: 'all', lateMinutes: '5' });
    assert.equal(res.status, 404);
    await researcher.get('/manage/streams/river-levels/policy').expect(404);
    await env.get('/manage/streams/no-such-stream/policy').expect(404);
  });

  test('a changed policy becomes a new version; an unchanged one saves nothing', async () => {
    const open = await env.get('/manage/streams/river-levels/policy').expect(200);
    const f = { ...fieldsOf(open.text, 'policy-form'), intervals: ['hour', 'day', 'week'], aggregates: ['mean', 'min', 'max', 'count'], spatial: 'grid', cellDegrees: '0.01', lateMinutes: '15' };
    const res = await env.post('/manage/streams/river-levels/policy').type('form').send(f);
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, '/manage/streams/river-levels');
    const api = (await env.get('/api/v1/manage/streams/river-levels').expect(200)).body;
    assert.equal(api.stream.policy.version, 2);
    assert.deepEqual(api.stream.rollup, { intervals: ['hour', 'day', 'week'], aggregates: ['mean', 'min', 'max', 'count'], spatial: { type: 'grid', cellDegrees: 0.01 }, lateSeconds: 900 });
    const audit = await t.db('audit_log').where({ action: 'stream.policy_updated' }).orderBy('seq', 'desc').first('details');
    assert.match(String(audit.details), /"policyVersion":2/);

    const again = await env.get('/manage/streams/river-levels/policy').expect(200);
    assert.match(again.text, /Current policy: version 2/);
    const same = await env.post('/manage/streams/river-levels/policy').type('form').send(fieldsOf(again.text, 'policy-form'));
    assert.equal(same.status, 303);
    assert.equal((await env.get('/api/v1/manage/streams/river-levels').expect(200)).body.stream.policy.version, 2, 'no new version for no change');
  });

  test('a bad policy is a 400 naming the fields and changes nothing; so is a change of the finest interval, and an edit of an outdated version', async () => {
    const open = await env.get('/manage/streams/river-levels/policy').expect(200);
    const base = fieldsOf(open.text, 'policy-form');
    const bad = await env.post('/manage/streams/river-levels/policy').type('form').send({ ...base, aggregates: [], spatial: 'h3', resolution: '99', lateMinutes: 'later' });
    assert.equal(bad.status, 400);
    assert.deepEqual(summaryLinks(bad.text), ['aggregates', 'resolution', 'lateMinutes']);
    assert.match(bad.text, /id="lateMinutes" name="lateMinutes" type="text" value="later"/);
    const finest = await env.post('/manage/streams/river-levels/policy').type('form').send({ ...base, intervals: ['day'] });
    assert.equal(finest.status, 400);
    assert.deepEqual(summaryLinks(finest.text), ['intervals']);
    assert.match(finest.text, /the finest interval cannot change/);
    const stale = await env.post('/manage/streams/river-levels/policy').type('form').send({ ...base, policyVersion: '1', lateMinutes: '20' });
    assert.equal(stale.status, 400);
    assert.match(stale.text, /The policy changed while you were editing it \(you edited version 1; it is now version 2\)/);
    const { policyVersion: _omitted, ...noVersion } = base;
    assert.equal((await env.post('/manage/streams/river-levels/policy').type('form').send({ ...noVersion, lateMinutes: '20' })).status, 400, 'the form must say which version it edits');
    assert.equal((await env.get('/api/v1/manage/streams/river-levels').expect(200)).body.stream.policy.version, 2);
  });

  test('a personal stream: defined on the form, approved by a second steward, and a changed policy needs approving again', async () => {
    const created = await postForm(energyA, '/manage/streams/new', '/manage/streams', {
      slug: 'pilot-meters',
      title: 'Pilot meters',
      summary: '',
      publisher: 'anytown-energy-partnership',
      level: 'personal',
      'measures-0-name': 'kwh',
      'measures-0-unit': 'kWh',
      'measures-0-min': '0',
      'measures-0-max': '20',
      intervals: 'day',
      aggregates: ['sum', 'mean'],
      spatial: 'ward',
      lateMinutes: '60',
      minHouseholds: '12',
    });
    assert.equal(created.status, 303, created.text);
    let api = (await energyA.get('/api/v1/manage/streams/pilot-meters').expect(200)).body;
    assert.deepEqual(api.stream.rollup, { intervals: ['day'], aggregates: ['sum', 'mean'], spatial: { type: 'ward' }, lateSeconds: 3600, minHouseholds: 12 });
    assert.equal(api.stream.approval.standing, false);
    assert.equal(api.stream.policy.definedBy, `user:${energyAId}`);

    const approved = await postForm(energyB, '/manage/streams/pilot-meters', '/manage/streams/pilot-meters/approval', { policyVersion: '1' });
    assert.equal(approved.status, 303);
    assert.equal((await energyA.get('/api/v1/manage/streams/pilot-meters').expect(200)).body.stream.approval.standing, true);

    const open = await energyA.get('/manage/streams/pilot-meters/policy').expect(200);
    assert.match(open.text, /This policy has a standing approval\. A changed policy voids it/);
    const base = fieldsOf(open.text, 'policy-form');
    assert.equal(base.minHouseholds, '12');
    // Saving it unchanged keeps the approval.
    assert.equal((await energyA.post('/manage/streams/pilot-meters/policy').type('form').send(base)).status, 303);
    assert.equal((await energyA.get('/api/v1/manage/streams/pilot-meters').expect(200)).body.stream.approval.standing, true);
    // min is one household's reading: refused like the API refuses it.
    const refused = await energyA.post('/manage/streams/pilot-meters/policy').type('form').send({ ...base, aggregates: ['sum', 'min'] });
    assert.equal(refused.status, 400);
    assert.deepEqual(summaryLinks(refused.text), ['aggregates']);
    const changed = await energyA.post('/manage/streams/pilot-meters/policy').type('form').send({ ...base, minHouseholds: '15' });
    assert.equal(changed.status, 303);
    api = (await energyA.get('/api/v1/manage/streams/pilot-meters').expect(200)).body;
    assert.equal(api.stream.policy.version, 2);
    assert.equal(api.stream.rollup.minHouseholds, 15);
    assert.equal(api.stream.approval.standing, false, 'the approval was for version 1');
    const audit = await t.db('audit_log').where({ action: 'stream.policy_updated' }).orderBy('seq', 'desc').first('details');
    assert.match(String(audit.details), /"approvalVoided":true/);
    assert.match((await energyB.get('/manage/streams/pilot-meters').expect(200)).text, /Approve policy version 2/);
  });
});

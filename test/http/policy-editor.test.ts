import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { createAuthTestApp, csrfFrom, makeUser, publisherIdsBySlug, signedInAgent, tokenFor } from '../helpers/auth-fixtures';
import type { TestApp } from '../helpers/test-app';

/**
 * The release policy editor through the web (a steward's session, CSRF, the form and the JSON
 * textarea) and the API (a manage token): saved policies become new versions, the audit log has
 * `policy.updated`, bad input is a 400 that names the field or column, and nobody outside the
 * dataset's publisher can see the editor.
 */

let t: TestApp;
let steward: TestAgent;
let otherSteward: TestAgent;
let researcher: TestAgent;
let stewardId: number;
let manageToken: string;
let readToken: string;
let researcherToken: string;
const hb = 'housing-benefit-claims';
const care = 'adult-social-care-service-users';
const page = (slug: string) => `/manage/datasets/${slug}/policy`;
const api = (slug: string) => `/api/v1/manage/datasets/${slug}/policy`;

before(async () => {
  t = await createAuthTestApp({ demo: true });
  const pubs = await publisherIdsBySlug(t.db);
  const s = await makeUser(t.db, t.config, { email: 'steward@anytown.example', role: 'steward', publisherIds: [pubs.get('revenues-and-benefits')!, pubs.get('adult-social-care')!] });
  const o = await makeUser(t.db, t.config, { email: 'other@anytown.example', role: 'steward', publisherIds: [pubs.get('finance')!] });
  const r = await makeUser(t.db, t.config, { email: 'researcher@anytown.example', role: 'researcher' });
  stewardId = s.id;
  steward = await signedInAgent(t.app, s.email, s.password);
  otherSteward = await signedInAgent(t.app, o.email, o.password);
  researcher = await signedInAgent(t.app, r.email, r.password);
  manageToken = await tokenFor(t.db, s, ['read', 'manage']);
  readToken = await tokenFor(t.db, s, ['read']);
  researcherToken = await tokenFor(t.db, r, ['read']);
});
after(() => t.close());

/** The form's current fields as a browser would send them (every input, checked radios and checkboxes, selected options). */
function fieldsOf(html: string, formId = 'policy-form'): Record<string, string | string[]> {
  const start = html.indexOf(`id="${formId}"`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const v = value.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const prev = out[name];
    out[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  };
  for (const m of form.matchAll(/<input ([^>]*)>/g)) {
    const attrs = m[1];
    const name = /name="([^"]*)"/.exec(attrs)?.[1];
    if (!name) continue;
    const type = /type="([^"]*)"/.exec(attrs)?.[1] ?? 'text';
    if ((type === 'radio' || type === 'checkbox') && !/\schecked/.test(attrs)) continue;
    add(name, /value="([^"]*)"/.exec(attrs)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<select[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) add(m[1], /<option value="([^"]*)" selected>/.exec(m[2])?.[1] ?? /<option value="([^"]*)"/.exec(m[2])?.[1] ?? '');
  for (const m of form.matchAll(/<textarea[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) add(m[1], m[2]);
  return out;
}

async function auditCount(action: string): Promise<number> {
  const row = (await t.db('audit_log').where({ action }).count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

describe('the editor page', () => {
  test('opens the demo policy in the form, with roles from the classification and a JSON twin', async () => {
    const res = await steward.get(page(hb));
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<h1 class="govuk-heading-l">Release policy<\/h1>/);
    assert.match(res.text, /Column 4: age/);
    assert.match(res.text, /id="v_3" name="v_3" type="text" value="18, 25, 35, 50, 65"/);
    assert.match(res.text, /Quasi-identifier/);
    assert.doesNotMatch(res.text, /<script>|style="/);
    const json = await steward.get(page(hb) + '.json');
    assert.equal(json.status, 200);
    assert.equal(json.body.dataset.slug, hb);
    assert.ok(json.body.policyVersion >= 1);
    assert.equal(json.body.policy.steps.at(-1).op, 'protect-table');
    assert.ok(Array.isArray(json.body.versions) && json.body.versions.length >= 1);
  });

  test('saving the form unchanged stores a new version, returns to draft and is audited', async () => {
    const before = (await steward.get(page(hb) + '.json')).body.policyVersion as number;
    const audits = await auditCount('policy.updated');
    const form = await steward.get(page(hb));
    const fields = fieldsOf(form.text);
    assert.equal(fields.protection, 'table');
    const res = await steward.post(page(hb)).type('form').send({ ...fields, _csrf: csrfFrom(form.text), note: 'Checked by hand' });
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, `/manage/datasets/${hb}/release`);
    const after = (await steward.get(page(hb) + '.json')).body;
    assert.equal(after.policyVersion, before + 1);
    assert.equal(after.note, 'Checked by hand');
    assert.deepEqual(after.policy.steps.map((s: { op: string }) => s.op), ['generalise', 'protect-table']);
    assert.deepEqual(after.policy.steps[1].dimensions, ['ward', 'age', 'household_type']);
    assert.equal(await auditCount('policy.updated'), audits + 1);
    const entry = await t.db('audit_log').where({ action: 'policy.updated' }).orderBy('seq', 'desc').first();
    assert.equal(entry.actor, `user:${stewardId}`);
  });

  test('a form with a k-anonymity choice becomes a k-anonymity step', async () => {
    const form = await steward.get(page(care));
    const fields = fieldsOf(form.text);
    // Columns: person_id, nhs_number, age, sex, primary_support_reason, ward, service_type.
    Object.assign(fields, {
      t_0: 'drop', t_1: 'pseudonymise', t_2: 'generalise', g_2: 'bands', v_2: '10', u_2: 'year', t_3: 'generalise', g_3: 'hierarchy', h_3: 'F;*\nM;*', v_3: '',
      t_5: 'drop', protection: 'k-anonymity', k: '5', suppression: '4', metric: 'loss', lDiversity: '2', tCloseness: '',
    });
    const res = await steward.post(page(care)).type('form').send({ ...fields, _csrf: csrfFrom(form.text) });
    assert.equal(res.status, 303, res.text);
    const saved = (await steward.get(page(care) + '.json')).body.policy;
    const k = saved.steps.at(-1);
    assert.equal(k.op, 'k-anonymity');
    assert.equal(k.suppressionLimit, 0.04);
    assert.deepEqual(k.quasiIdentifiers.map((q: { column: string }) => q.column), ['age', 'sex']);
    assert.deepEqual(k.criteria, [{ type: 'distinct-l', column: 'primary_support_reason', l: 2 }]);
    // It reopens in the form.
    const again = await steward.get(page(care));
    assert.match(again.text, /id="protection-2" name="protection" type="radio" value="k-anonymity" checked/);
  });

  test('a form problem is a 400 with an error summary linking to the field, keeping what was typed', async () => {
    const form = await steward.get(page(hb));
    const fields = { ...fieldsOf(form.text), v_3: '65, 18', seed: '' };
    const res = await steward.post(page(hb)).type('form').send({ ...fields, _csrf: csrfFrom(form.text) });
    assert.equal(res.status, 400);
    assert.match(res.text, /govuk-error-summary/);
    assert.match(res.text, /<a href="#v_3">Column &#34;age&#34;: give the group breaks/);
    assert.match(res.text, /<a href="#seed">/);
    assert.match(res.text, /id="v_3" name="v_3" type="text" value="65, 18"/);
    const stale = await steward.post(page(hb)).type('form').send({ ...fieldsOf(form.text), sourceVersion: '999', _csrf: csrfFrom(form.text) });
    assert.equal(stale.status, 400);
    assert.match(stale.text, /<a href="#columns">A newer source version/);
  });

  test('JSON naming a column the source does not have is a 400 naming it', async () => {
    const form = await steward.get(page(hb));
    const policy = { version: 1, seed: 's', steps: [{ op: 'drop', columns: ['no_such_column'] }] };
    const res = await steward.post(page(hb)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: JSON.stringify(policy), settingsJson: '' });
    assert.equal(res.status, 400);
    assert.match(res.text, /<a href="#policyJson">[^<]*no_such_column/);
    assert.match(res.text, /<details class="govuk-details" id="policy-json-details" open>/);
    const bad = await steward.post(page(hb)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: '{ nope', settingsJson: '' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not valid JSON/);
  });

  test('the JSON textarea saves policies the form cannot show, and the page then opens in JSON mode', async () => {
    const form = await steward.get(page(care));
    const policy = { version: 1, seed: 'm', steps: [{ op: 'drop', columns: ['person_id', 'nhs_number'] }, { op: 'mondrian', k: 10, quasiIdentifiers: ['age'] }] };
    const res = await steward.post(page(care)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: JSON.stringify(policy), settingsJson: '{}', note: 'mondrian' });
    assert.equal(res.status, 303, res.text);
    const again = await steward.get(page(care));
    assert.match(again.text, /id="policy-json-only"/);
    assert.match(again.text, /no mondrian step/);
    assert.doesNotMatch(again.text, /id="policy-form"/);
    const fresh = await steward.get(page(care) + '?mode=form');
    assert.match(fresh.text, /id="policy-form"/);
  });

  test('posting without the CSRF token is refused and saves nothing', async () => {
    const before = (await steward.get(page(hb) + '.json')).body.policyVersion;
    const res = await steward.post(page(hb)).type('form').send({ mode: 'json', policyJson: '{}' });
    assert.equal(res.status, 403);
    assert.equal((await steward.get(page(hb) + '.json')).body.policyVersion, before);
  });
});

describe('who may use the editor', () => {
  test('a researcher and a steward of another publisher get 404, pages and API alike', async () => {
    for (const agent of [researcher, otherSteward]) {
      assert.equal((await agent.get(page(hb))).status, 404);
      assert.equal((await agent.get(page(hb) + '.json')).status, 404);
      const form = await agent.get('/account/tokens');
      const post = await agent.post(page(hb)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: '{}' });
      assert.equal(post.status, 404);
    }
    const r = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${researcherToken}`).send({ policy: { version: 1, seed: 's', steps: [] } });
    assert.equal(r.status, 404);
    assert.equal((await request(t.app).get(api(hb)).set('Authorization', `Bearer ${researcherToken}`)).status, 404);
  });

  test('anonymous callers are asked to sign in', async () => {
    assert.equal((await request(t.app).get(api(hb))).status, 401);
    const res = await request(t.app).get(page(hb));
    assert.equal(res.status, 303);
  });
});

describe('the API', () => {
  test('GET returns the latest policy, its settings and the versions', async () => {
    const res = await request(t.app).get(api('household-smart-meter-readings')).set('Authorization', `Bearer ${readToken}`);
    assert.equal(res.status, 404, 'the steward has no energy publisher');
    const ok = await request(t.app).get(api(hb)).set('Authorization', `Bearer ${readToken}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.dataset.slug, hb);
    assert.ok(ok.body.versions.length >= 1);
  });

  test('PUT stores a new version and returns it with the open release', async () => {
    const audits = await auditCount('policy.updated');
    const policy = { version: 1, seed: 'api-seed', steps: [{ op: 'protect-table', dimensions: ['ward'], preset: 'ons-10-5' }] };
    const res = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy, note: 'from the API' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.dataset, hb);
    assert.equal(res.body.policy.seed, 'api-seed');
    assert.deepEqual(res.body.settings, {});
    assert.equal(res.body.release.state, 'draft');
    assert.equal(typeof res.body.release.id, 'number');
    const latest = await request(t.app).get(api(hb)).set('Authorization', `Bearer ${manageToken}`);
    assert.equal(latest.body.policyVersion, res.body.policyVersion);
    assert.equal(await auditCount('policy.updated'), audits + 1);
  });

  test('bad settings are a 400 naming the field, from the API and the JSON textarea alike', async () => {
    const versions = (await request(t.app).get(api(hb)).set('Authorization', `Bearer ${readToken}`)).body.versions.length;
    const policy = { version: 1, seed: 's', steps: [{ op: 'protect-table', dimensions: ['ward'], preset: 'ons-10-5' }] };
    const missing = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy, settings: { household: { timeColumn: 'claim_date' } } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /settings\.household\.countMeasure/);
    const typo = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy, settings: { houshold: null } });
    assert.equal(typo.status, 400);
    assert.match(typo.body.error.message, /houshold/);
    const form = await steward.get(page(hb));
    const res = await steward.post(page(hb)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: JSON.stringify(policy), settingsJson: '{"household": {"timeColumn": "", "countMeasure": "households"}}' });
    assert.equal(res.status, 400);
    assert.match(res.text, /<a href="#settingsJson">The release settings are not valid: settings\.household\.timeColumn: /);
    const notJson = await steward.post(page(hb)).type('form').send({ _csrf: csrfFrom(form.text), mode: 'json', policyJson: JSON.stringify(policy), settingsJson: '{ nope' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /<a href="#settingsJson">The settings must be JSON/);
    assert.equal((await request(t.app).get(api(hb)).set('Authorization', `Bearer ${readToken}`)).body.versions.length, versions, 'nothing saved');
  });

  test('PUT with a column the source does not have is a 400 naming it; a read token is refused', async () => {
    const policy = { version: 1, seed: 's', steps: [{ op: 'protect-table', dimensions: ['wardd'], preset: 'ons-10-5' }] };
    const res = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /"wardd"/);
    const invalid = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy: { version: 1, seed: 's', steps: [{ op: 'k-anonymity', k: 0 }] } });
    assert.equal(invalid.status, 400);
    const extra = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${manageToken}`).send({ policy: { ...policy, steps: [{ op: 'drop', columns: ['ward'] }], surprise: true } });
    assert.equal(extra.status, 400, 'the engine refuses unknown policy keys');
    const read = await request(t.app).put(api(hb)).set('Authorization', `Bearer ${readToken}`).send({ policy });
    assert.equal(read.status, 403);
  });
});

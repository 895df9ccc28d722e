import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { Actor } from '../../src/auth/actor';
import { getDatasetBySlug } from '../../src/catalogue/dataset.repository';
import { createSource, setSourceRowCount } from '../../src/ingest/source.repository';
import { insertRows } from '../../src/db/data-table';
import { saveReleasePolicy } from '../../src/publishing/release-workflow.service';
import { demoReleasePolicies } from '../../seeds/lib/demo-policies';
import type { TestApp } from '../helpers/test-app';
import { createAuthTestApp, makeUser, postForm, publisherIdsBySlug, signedInAgent, tokenFor } from '../helpers/auth-fixtures';

/**
 * The release workflow end to end over HTTP (issue 6): policy → preview (worker) → submit → a
 * second steward approves → publish, with the gate enforced at each step, four eyes, stale
 * approvals refused, roles × actions, and every step in the audit log.
 */

const slug = 'housing-benefit-claims';
let t: TestApp;
let tokens: { a: string; b: string; other: string; researcher: string; admin: string };
let ids: { a: number; b: number; admin: number };

const api = (token: string) => ({
  get: (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${token}`),
  post: (path: string, body: unknown = {}) => request(t.app).post(path).set('Authorization', `Bearer ${token}`).send(body as object),
});
const base = `/api/v1/manage/datasets/${slug}`;
const actorFor = (id: number): Actor => ({ kind: 'user', id: `user:${id}`, userId: id, role: 'steward' });

async function savePolicy(policy: unknown, userId: number) {
  const dataset = (await getDatasetBySlug(t.db, slug))!;
  return saveReleasePolicy({ db: t.db, secret: t.config.secret }, { dataset, policy, actor: actorFor(userId) });
}

before(async () => {
  t = await createAuthTestApp({ demo: true });
  const pubs = await publisherIdsBySlug(t.db);
  const benefits = pubs.get('revenues-and-benefits')!;
  const a = await makeUser(t.db, t.config, { email: 'alex@anytown.gov.uk', role: 'steward', publisherIds: [benefits] });
  const b = await makeUser(t.db, t.config, { email: 'bea@anytown.gov.uk', role: 'steward', publisherIds: [benefits] });
  const other = await makeUser(t.db, t.config, { email: 'olu@anytown.gov.uk', role: 'steward', publisherIds: [pubs.get('environmental-health')!] });
  const researcher = await makeUser(t.db, t.config, { email: 'res@uni.ac.uk', role: 'researcher' });
  const admin = await makeUser(t.db, t.config, { email: 'admin@anytown.gov.uk', role: 'admin' });
  ids = { a: a.id, b: b.id, admin: admin.id };
  tokens = {
    a: await tokenFor(t.db, a),
    b: await tokenFor(t.db, b),
    other: await tokenFor(t.db, other),
    researcher: await tokenFor(t.db, researcher, ['read']),
    admin: await tokenFor(t.db, admin),
  };
});
after(() => t.close());

describe('release workflow', () => {
  test('a policy without protection is refused by the gate on submit, with the reason for every failing check', async () => {
    await savePolicy({ version: 1, seed: 'raw', steps: [{ op: 'drop', columns: ['claimant_name'] }] }, ids.a);
    const p = await api(tokens.a).post(`${base}/preview?wait=true`).expect(200);
    assert.equal(p.body.preview.verdict.allowed, false);
    const submit = await api(tokens.a).post(`${base}/release/submit`).expect(400);
    assert.match(submit.body.error.message, /personal\.no_direct_identifiers: Direct identifiers would be published: claim_ref/);
    assert.match(submit.body.error.message, /personal\.output: Personal data may only be published as de-identified microdata or aggregate tables/);
  });

  test('preview runs in a worker and reports progress; submit, four eyes, approve, publish', async () => {
    await savePolicy(demoReleasePolicies[slug].policy, ids.a);
    const started = await api(tokens.a).post(`${base}/preview`).expect(202);
    assert.match(started.headers.location, /\/preview\/[0-9a-f-]{36}$/);
    let job = started.body.job;
    for (let i = 0; i < 200 && job.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await api(tokens.a).get(started.headers.location).expect(200)).body.job;
    }
    assert.equal(job.state, 'done');
    const view = (await api(tokens.a).get(`${base}/release`).expect(200)).body;
    assert.equal(view.release.state, 'draft');
    assert.equal(view.preview.firstRows.length, 100);
    assert.deepEqual(view.preview.columns.map((c: { name: string }) => c.name), ['ward', 'age', 'household_type', 'count']);
    assert.equal(view.preview.verdict.allowed, true);
    assert.match(view.preview.statement, /counts under 10 hidden/);

    await api(tokens.a).post(`${base}/release/submit`, { notes: 'Quarterly update.' }).expect(200);
    const queue = (await api(tokens.b).get('/api/v1/manage/reviews').expect(200)).body;
    assert.equal(queue.total, 1);
    assert.equal(queue.releases[0].dataset.slug, slug);
    assert.equal(queue.releases[0].mayApprove, true);
    assert.equal((await api(tokens.a).get('/api/v1/manage/reviews').expect(200)).body.releases[0].mayApprove, false);

    const self = await api(tokens.a).post(`${base}/release/approve`).expect(403);
    assert.match(self.body.error.message, /second steward must approve/);
    await api(tokens.researcher).post(`${base}/release/approve`).expect(404);
    await api(tokens.other).post(`${base}/release/approve`).expect(404);
    await api(tokens.other).get(`${base}/release`).expect(404);

    const approved = (await api(tokens.b).post(`${base}/release/approve`).expect(200)).body;
    assert.equal(approved.release.state, 'approved');
    assert.equal(approved.release.approvedBy, `user:${ids.b}`);
    assert.match(approved.release.approvalHash, /^[0-9a-f]{64}$/);

    const published = (await api(tokens.a).post(`${base}/release/publish`).expect(201)).body;
    assert.equal(published.published.version, 2);
    assert.equal(published.release, null, 'nothing left in progress');
    assert.deepEqual(published.history.map((h: { version: number; state: string }) => [h.version, h.state]), [[2, 'published'], [1, 'superseded']]);

    const page = await request(t.app).get(`/datasets/${slug}`).expect(200);
    assert.match(page.text, /How this data was protected/);
    assert.match(page.text, /describes at least 10 people/);
    const csv = await request(t.app).get(`/datasets/${slug}/releases/2/data.csv`).expect(200);
    assert.match(csv.text, /^ward,age,household_type,count/);
    assert.doesNotMatch(csv.text, /HB7\d{5}/, 'no claim reference');

    const audit = (await t.db('audit_log').where('object_type', 'release').orWhere('action', 'policy.updated').orderBy('seq').pluck('action')) as string[];
    for (const a of ['policy.updated', 'release.submitted', 'release.approved', 'release.published']) assert.ok(audit.includes(a), a);
  });

  test('an approval is bound to the source version, policy and seed: publishing refuses when one changed', async () => {
    await savePolicy(demoReleasePolicies[slug].policy, ids.a);
    await api(tokens.a).post(`${base}/preview?wait=true`).expect(200);
    await api(tokens.a).post(`${base}/release/submit`).expect(200);
    await api(tokens.b).post(`${base}/release/approve`).expect(200);
    // A new source version arrives after approval.
    const dataset = (await getDatasetBySlug(t.db, slug))!;
    const current = await t.db('sources').where({ dataset_id: dataset.id }).orderBy('version', 'desc').first();
    const columns = JSON.parse(current.columns_json);
    await t.db.transaction(async (trx) => {
      const s = await createSource(trx, { datasetId: dataset.id, columns, filename: 'newer.csv', createdBy: 'user:1' });
      await t.db.raw(`INSERT INTO ${s.tableName} SELECT * FROM ${current.table_name}`).transacting(trx);
      await setSourceRowCount(trx, s.id, current.row_count);
    });
    const refused = await api(tokens.a).post(`${base}/release/publish`).expect(409);
    assert.match(refused.body.error.message, /source version 2 was imported after this release was approved \(it was approved for version 1\)/);
    // Saving the policy again (e.g. a new seed) sends the approved release back to draft.
    await savePolicy({ ...demoReleasePolicies[slug].policy, seed: 'another-seed' }, ids.a);
    const view = (await api(tokens.a).get(`${base}/release`).expect(200)).body;
    assert.equal(view.release.state, 'draft');
    assert.equal(view.release.approvedBy, null);
    await api(tokens.a).post(`${base}/release/publish`).expect(409);
    void insertRows;
  });

  test('rejecting needs a reason, which the submitter sees; withdrawal answers 410 with the public reason', async () => {
    await api(tokens.a).post(`${base}/preview?wait=true`).expect(200);
    await api(tokens.a).post(`${base}/release/submit`).expect(200);
    await api(tokens.b).post(`${base}/release/reject`, { reason: 'short' }).expect(400);
    const rejected = (await api(tokens.b).post(`${base}/release/reject`, { reason: 'Age bands should match the ONS ones.' }).expect(200)).body;
    assert.equal(rejected.release.state, 'draft');
    assert.equal(rejected.release.rejectedReason, 'Age bands should match the ONS ones.');
    await api(tokens.a).post(`${base}/releases/2/withdraw`, { reason: 'A ward boundary was wrong in this version.' }).expect(200);
    const gone = await request(t.app).get(`/datasets/${slug}/releases/2/data.csv`).expect(410);
    assert.match(gone.text, /A ward boundary was wrong/);
    await request(t.app).get(`/datasets/${slug}`).expect(200);
  });

  test('the web pages: release page, preview job with progress, forms with CSRF, review queue', async () => {
    const agent = await signedInAgent(t.app, 'alex@anytown.gov.uk', 'correct horse battery staple');
    const page = await agent.get(`/manage/datasets/${slug}/release`).expect(200);
    assert.match(page.text, /Run the preview again|Run a preview/);
    const res = await postForm(agent, `/manage/datasets/${slug}/release`, `/manage/datasets/${slug}/release/preview`, {});
    assert.equal(res.status, 303);
    const jobUrl = res.headers.location as string;
    let r = await agent.get(jobUrl);
    for (let i = 0; i < 200 && r.status === 200; i++) {
      assert.match(r.text, /http-equiv="refresh"/);
      await new Promise((s) => setTimeout(s, 50));
      r = await agent.get(jobUrl);
    }
    assert.equal(r.status, 303);
    const after = await agent.get(`/manage/datasets/${slug}/release`).expect(200);
    assert.match(after.text, /id="gate-checks"/);
    assert.match(after.text, /id="preview-rows"/);
    await agent.post(`/manage/datasets/${slug}/release/submit`).type('form').send({}).expect(403);
    const submitted = await postForm(agent, `/manage/datasets/${slug}/release`, `/manage/datasets/${slug}/release/submit`, { notes: '' });
    assert.equal(submitted.status, 303);
    const own = await postForm(agent, `/manage/datasets/${slug}/release`, `/manage/datasets/${slug}/release/approve`, {});
    assert.equal(own.status, 403);
    assert.match(own.text, /a second steward must approve it/);
    const bea = await signedInAgent(t.app, 'bea@anytown.gov.uk', 'correct horse battery staple');
    const queue = await bea.get('/manage/reviews').expect(200);
    assert.match(queue.text, /Housing benefit claims/);
    const approved = await postForm(bea, `/manage/datasets/${slug}/release`, `/manage/datasets/${slug}/release/approve`, {});
    assert.equal(approved.status, 303);
    assert.match((await bea.get(`/manage/datasets/${slug}/release`)).text, /id="publish-release"/);
  });

  test('only an admin may override a check, with a reason, audited as admin.override', async () => {
    const dataset = (await getDatasetBySlug(t.db, 'air-quality-hourly'))!;
    void dataset;
    await api(tokens.a).post(`${base}/release/overrides`, { check: 'public.no_direct_identifiers', reason: 'This is a long enough reason text.' }).expect(404);
    await api(tokens.admin).post(`${base}/release/overrides`, { check: 'personal.k_anonymity', reason: 'This is a long enough reason text.' }).expect(400);
    const ok = (await api(tokens.admin).post(`${base}/release/overrides`, { check: 'public.no_direct_identifiers', reason: 'Claim references are public record here.' }).expect(200)).body;
    assert.equal(ok.release.overrides[0].check, 'public.no_direct_identifiers');
    const entry = await t.db('audit_log').where({ action: 'admin.override' }).first();
    assert.ok(entry);
    assert.match(entry.details, /Claim references are public record here/);
  });

  test('stewards create datasets for their own publishers through the API', async () => {
    const created = await api(tokens.a).post('/api/v1/manage/datasets', { slug: 'benefit-cap-households', title: 'Households affected by the benefit cap', publisher: 'revenues-and-benefits', level: 'personal' }).expect(201);
    assert.equal(created.body.level, 'personal');
    assert.match(created.body.links.upload, /\/api\/v1\/manage\/datasets\/benefit-cap-households\/sources$/);
    await api(tokens.a).post('/api/v1/manage/datasets', { slug: 'benefit-cap-households', title: 'Again', publisher: 'revenues-and-benefits', level: 'personal' }).expect(409);
    await api(tokens.a).post('/api/v1/manage/datasets', { slug: 'air-things', title: 'Not mine', publisher: 'environmental-health', level: 'public' }).expect(404);
    await api(tokens.researcher).post('/api/v1/manage/datasets', { slug: 'x-y', title: 'Nope', publisher: 'revenues-and-benefits', level: 'public' }).expect(404);
    const readOnly = await tokenFor(t.db, { id: ids.a }, ['read']);
    await api(readOnly).post('/api/v1/manage/datasets', { slug: 'x-z', title: 'Read only', publisher: 'revenues-and-benefits', level: 'public' }).expect(404);
    const bad = await api(tokens.a).post('/api/v1/manage/datasets', { slug: 'Bad Slug', title: 'Bad', publisher: 'revenues-and-benefits', level: 'public' }).expect(400);
    assert.match(bad.body.error.message, /slug/);
    await request(t.app).get('/datasets/benefit-cap-households').expect(404);
    assert.ok(await t.db('audit_log').where({ action: 'dataset.created' }).first());
  });

  test('the public record of a protected release says that a second steward approved it', async () => {
    const care = (await request(t.app).get('/datasets/adult-social-care-service-users.json').expect(200)).body;
    assert.equal(care.latestRelease.protection.secondStewardApproved, true);
    assert.ok(care.latestRelease.protection.checksPassed.includes('special_category.four_eyes'));
    const page = await request(t.app).get('/datasets/adult-social-care-service-users').expect(200);
    assert.match(page.text, /approved by a second data steward before it was published/);
  });

  test('only a confidential dataset is listed as a description only, through the API and the form', async () => {
    const listings = async () => Number((await t.db('audit_log').where({ action: 'dataset.metadata_published' }).count({ n: '*' }).first())!.n);
    const before = await listings();
    const refused = await api(tokens.a).post(`${base}/release/metadata-only`).expect(400);
    assert.match(refused.body.error.message, /Only confidential datasets are listed as a description only; publish a release instead/);
    const agent = await signedInAgent(t.app, 'alex@anytown.gov.uk', 'correct horse battery staple');
    const form = await postForm(agent, `/manage/datasets/${slug}/release`, `/manage/datasets/${slug}/release/metadata-only`, {});
    assert.equal(form.status, 400);
    assert.match(form.text, /Only confidential datasets are listed as a description only; publish a release instead/);
    assert.equal(await listings(), before, 'nothing listed, nothing audited');
    const register = '/api/v1/manage/datasets/community-safety-case-register';
    const listed = await api(tokens.admin).post(`${register}/release/metadata-only`).expect(200);
    assert.equal(listed.body.dataset.level, 'confidential');
    assert.equal(await listings(), before + 1);
    await request(t.app).get('/datasets/community-safety-case-register').expect(200);
  });
});

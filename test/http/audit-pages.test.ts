import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { appendAudit } from '../../src/audit/audit.repository';
import { verifyChain } from '../../src/audit/audit.service';
import { createAuthTestApp, csrfFrom, goodPassword, makeUser, postForm, publisherIdsBySlug, signedInAgent } from '../helpers/auth-fixtures';

type App = Awaited<ReturnType<typeof createAuthTestApp>>;

describe('audit pages', () => {
  let t: App;
  let admin: { id: number; email: string; password: string };
  let steward: { id: number; email: string; password: string };
  let mineId = 0;
  let theirsId = 0;

  before(async () => {
    t = await createAuthTestApp({ demo: true, env: { LOGIN_MAX_PER_ACCOUNT: '1000', LOGIN_MAX_PER_IP: '1000' } });
    const pubs = await publisherIdsBySlug(t.db);
    admin = await makeUser(t.db, t.config, { email: 'admin@example.gov.uk', role: 'admin' });
    steward = await makeUser(t.db, t.config, { email: 'steward@example.gov.uk', role: 'steward', publisherIds: [pubs.get('anytown-energy-partnership')!] });
    mineId = ((await t.db('datasets').where({ slug: 'household-smart-meter-readings' }).first('id')) as { id: number }).id;
    theirsId = ((await t.db('datasets').where({ slug: 'adult-social-care-service-users' }).first('id')) as { id: number }).id;
    for (let i = 0; i < 60; i++) {
      await appendAudit(t.db, { actor: 'user:999', action: 'download.release', objectType: 'release', objectId: i, datasetId: i % 2 ? mineId : theirsId, client: 'h:abc' });
    }
  });
  after(() => t.close());

  it('the seed attributes ingest entries to their datasets', async () => {
    const row = await t.db('audit_log').where({ action: 'ingest.source_imported', dataset_id: mineId }).first();
    assert.ok(row);
  });

  it('admins see every entry, filtered and paginated newest first, with the verification status', async () => {
    const agent = await signedInAgent(t.app, admin.email, admin.password);
    const page1 = await agent.get('/audit.json?action=download.release');
    assert.equal(page1.status, 200);
    assert.equal(page1.body.entries.length, 50);
    assert.ok(page1.body.entries.every((e: { action: string }) => e.action === 'download.release'));
    const seqs = page1.body.entries.map((e: { seq: number }) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a: number, b: number) => b - a));
    assert.equal(page1.body.verification.ok, true);
    assert.ok(page1.body.links.older);
    const page2 = await agent.get(page1.body.links.older);
    assert.equal(page2.body.entries.length, 10);
    assert.ok(page2.body.entries[0].seq < seqs[49]);
    const back = await agent.get(page2.body.links.newer);
    assert.deepEqual(back.body.entries.map((e: { seq: number }) => e.seq), seqs);
    const byDataset = await agent.get('/audit.json?dataset=household-smart-meter-readings&action=download.*');
    assert.equal(byDataset.body.entries.length, 30);
    const byActor = await agent.get(`/audit.json?actor=user:${admin.id}`);
    assert.ok(byActor.body.entries.some((e: { action: string }) => e.action === 'auth.login'));
    const future = await agent.get('/audit.json?from=2999-01-01');
    assert.equal(future.body.entries.length, 0);
    const today = new Date().toISOString().slice(0, 10);
    const window = await agent.get(`/audit.json?from=${today}&to=${today}&action=download.release`);
    assert.equal(window.body.entries.length, 50);
    const html = await agent.get('/audit?action=user.*');
    assert.equal(html.status, 200);
    assert.match(html.text, /Chain verified/);
    assert.match(html.text, /govuk-table/);
    const bad = await agent.get('/audit.json?from=yesterday');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /from/);
  });

  it('stewards see only entries about their publishers\u2019 datasets', async () => {
    const agent = await signedInAgent(t.app, steward.email, steward.password);
    const res = await agent.get('/audit.json?action=download.*');
    assert.equal(res.status, 200);
    assert.equal(res.body.entries.length, 30);
    assert.ok(res.body.entries.every((e: { datasetId: number }) => e.datasetId === mineId));
    const theirs = await agent.get('/audit.json?dataset=adult-social-care-service-users');
    assert.equal(theirs.body.entries.length, 0);
    const logins = await agent.get('/audit.json?action=auth.*');
    assert.equal(logins.body.entries.length, 0, 'account activity is for admins');
    const csv = await agent.get('/audit/export.csv');
    const lines = csv.text.trim().split('\r\n');
    assert.ok(lines.length > 30);
    const pubs = await publisherIdsBySlug(t.db);
    const own = new Set(((await t.db('datasets').where({ publisher_id: pubs.get('anytown-energy-partnership') }).pluck('id')) as number[]).map(String));
    const bad = lines.slice(1).filter((l) => !own.has(l.split(',')[6]));
    assert.deepEqual(bad, []);
  });

  it('exports stream as CSV and JSON, and the export itself is audited', async () => {
    const agent = await signedInAgent(t.app, admin.email, admin.password);
    const csv = await agent.get('/audit/export.csv?action=download.release');
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'], /text\/csv/);
    assert.match(csv.headers['content-disposition'], /attachment; filename="plaza-audit-.*\.csv"/);
    const lines = csv.text.trim().split('\r\n');
    assert.equal(lines[0], 'seq,at,actor,action,object_type,object_id,dataset_id,outcome,request_id,client,details,prev_hash,hash');
    assert.equal(lines.length, 61);
    const json = await agent.get('/audit/export.json');
    assert.equal(json.status, 200);
    const entries = JSON.parse(json.text) as Array<{ seq: number; hash: string; prevHash: string }>;
    for (let i = 1; i < entries.length; i++) assert.equal(entries[i].prevHash, entries[i - 1].hash);
    const logged = await t.db('audit_log').where({ action: 'download.audit_export', actor: `user:${admin.id}` });
    assert.equal(logged.length, 2);
  });

  it('admins fetch signed checkpoints and the public key; a checkpoint can be made from the page', async () => {
    const agent = await signedInAgent(t.app, admin.email, admin.password);
    const res = await postForm(agent, '/audit/checkpoints', '/audit/checkpoints', {});
    assert.equal(res.status, 303);
    const lines = await agent.get('/audit/checkpoints.jsonl');
    assert.equal(lines.status, 200);
    const cp = JSON.parse(lines.text.trim().split('\n').pop()!);
    assert.ok(cp.sig && cp.keyId && cp.seq > 0);
    const key = await agent.get('/audit/public-key.pem');
    assert.match(key.text, /BEGIN PUBLIC KEY/);
    const full = await postForm(agent, '/audit', '/audit/verify', {});
    assert.equal(full.status, 303);
    const status = await agent.get('/audit.json');
    assert.equal(status.body.verification.ok, true);
    // After the full check, the page checks only what was appended since, and says so honestly.
    const fullAt = status.body.verification.fullCheckAt;
    assert.ok(fullAt);
    const page = await agent.get('/audit');
    assert.match(page.text, /Every entry was checked on [^;]+; the [\d,]+ entr(y|ies) added since then (was|were) checked on/);
    const again = await agent.get('/audit.json');
    assert.equal(again.body.verification.incremental, true);
    assert.equal(again.body.verification.fullCheckAt, fullAt, 'the full check keeps its time across incremental ones');
    assert.ok(again.body.verification.checkedEntries < again.body.verification.entries);
  });
});

describe('walkthrough: a new admin creates a steward, who signs in and creates a token', () => {
  it('every step is in the audit log and the chain verifies', async () => {
    const t = await createAuthTestApp({ demo: true });
    try {
      const pubs = await publisherIdsBySlug(t.db);
      const admin = await makeUser(t.db, t.config, { email: 'admin@anytown.gov.uk', role: 'admin' });
      const adminAgent = await signedInAgent(t.app, admin.email, admin.password);
      const created = await postForm(adminAgent, '/admin/users/new', '/admin/users', {
        email: 'sam@anytown.gov.uk',
        displayName: 'Sam Steward',
        role: 'steward',
        publishers: [String(pubs.get('environmental-health'))],
      });
      assert.equal(created.status, 201);
      const link = /id="link"[^>]*value="([^"]+)"/.exec(created.text)![1];
      const linkPath = new URL(link).pathname;
      const sam = request.agent(t.app);
      const setPage = await sam.get(linkPath);
      assert.equal((await sam.post(linkPath).type('form').send({ _csrf: csrfFrom(setPage.text), password: goodPassword, confirm: goodPassword })).status, 200);
      const samAgent = await signedInAgent(t.app, 'sam@anytown.gov.uk', goodPassword);
      const tokenPage = await postForm(samAgent, '/account/tokens', '/account/tokens', { name: 'sync', scopes: ['read'], expiresInDays: '30' });
      const token = /value="(plz_[^"]+)"/.exec(tokenPage.text)![1];
      const api = await request(t.app).get('/api/v1/manage/datasets').set('Authorization', `Bearer ${token}`);
      assert.equal(api.status, 200);
      assert.ok(api.body.datasets.length > 0);
      const samId = ((await t.db('users').where({ email: 'sam@anytown.gov.uk' }).first('id')) as { id: number }).id;
      const log = await adminAgent.get('/audit.json');
      const actions = log.body.entries.map((e: { action: string; actor: string }) => `${e.actor} ${e.action}`);
      for (const expected of [`user:${admin.id} auth.login`, `user:${admin.id} user.created`, 'anonymous user.password_set', `user:${samId} auth.login`, `user:${samId} token.created`]) {
        assert.ok(actions.includes(expected), `${expected} in ${actions.slice(0, 10).join('; ')}`);
      }
      const page = await adminAgent.get(`/audit?actor=user:${samId}`);
      assert.match(page.text, /token\.created/);
      const verified = await verifyChain(t.db, t.config.audit);
      assert.ok(verified.ok);
    } finally {
      await t.close();
    }
  });
});

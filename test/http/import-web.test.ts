import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { fromRoot } from '../../src/paths';
import { createAuthTestApp, csrfFrom, makeUser, publisherIdsBySlug, signedInAgent, tokenFor } from '../helpers/auth-fixtures';
import { countRawTables, fixtureCases, fixtureDir } from '../helpers/import-fixtures';
import type { TestApp } from '../helpers/test-app';

/**
 * Import through the web (a steward's session with CSRF, multipart upload, result and
 * classification pages) and through the API (a manage token): the fixture corpus, the demo files,
 * classification with audit, versions and purge, and who may do what.
 */

let t: TestApp;
let steward: TestAgent;
let otherSteward: TestAgent;
let admin: TestAgent;
let manageToken: string;
let readToken: string;
const hb = 'housing-benefit-claims';

before(async () => {
  t = await createAuthTestApp({ demo: true });
  const pubs = await publisherIdsBySlug(t.db);
  const s = await makeUser(t.db, t.config, { email: 'steward@anytown.example', role: 'steward', publisherIds: [pubs.get('revenues-and-benefits')!, pubs.get('adult-social-care')!, pubs.get('anytown-energy-partnership')!] });
  const o = await makeUser(t.db, t.config, { email: 'other@anytown.example', role: 'steward', publisherIds: [pubs.get('finance')!] });
  const a = await makeUser(t.db, t.config, { email: 'admin@anytown.example', role: 'admin' });
  steward = await signedInAgent(t.app, s.email, s.password);
  otherSteward = await signedInAgent(t.app, o.email, o.password);
  admin = await signedInAgent(t.app, a.email, a.password);
  manageToken = await tokenFor(t.db, s, ['read', 'manage']);
  readToken = await tokenFor(t.db, s, ['read']);
});
after(() => t.close());

async function upload(agent: TestAgent, slug: string, file: string, mode = 'replace') {
  const form = await agent.get(`/manage/datasets/${slug}/upload`);
  assert.equal(form.status, 200);
  return agent
    .post(`/manage/datasets/${slug}/upload`)
    .field('_csrf', csrfFrom(form.text))
    .field('mode', mode)
    .attach('file', fs.readFileSync(file), path.basename(file));
}

const seedFile = (name: string) => fromRoot('seeds', 'files', name);

describe('web upload (steward session + CSRF)', () => {
  test('the upload form works without JavaScript and leads to the result page', async () => {
    const res = await upload(steward, hb, seedFile('housing-benefit-claims.csv'));
    assert.equal(res.status, 303, res.text);
    assert.match(res.headers.location, /^\/manage\/datasets\/housing-benefit-claims\/sources\/2$/);
    const page = await steward.get(res.headers.location);
    assert.equal(page.status, 200);
    assert.match(page.text, /Imported 2,000 rows/);
    assert.match(page.text, /id="result-suggested-level"><strong>[^<]*[Pp]ersonal/);
    assert.match(page.text, /date_of_birth/);
    const json = await steward.get(res.headers.location + '.json');
    assert.equal(json.body.source.rows, 2000);
    const byName = new Map<string, { role: string; type: string }>(json.body.source.columns.map((c: { name: string; role: string; type: string }) => [c.name, c]));
    assert.equal(byName.get('claimant_name')!.role, 'direct_identifier');
    assert.equal(byName.get('date_of_birth')!.type, 'date');
    assert.equal(byName.get('date_of_birth')!.role, 'quasi_identifier');
    assert.equal(byName.get('postcode')!.role, 'quasi_identifier');
    assert.equal(byName.get('weekly_award')!.type, 'number');
    assert.equal(json.body.source.suggestedLevel, 'personal');
  });

  test('an upload without the CSRF token is refused and imports nothing', async () => {
    const before = await countRawTables(t.db);
    const res = await steward.post(`/manage/datasets/${hb}/upload`).field('mode', 'replace').attach('file', Buffer.from('a,b\n1,2\n'), 'x.csv');
    assert.equal(res.status, 403);
    assert.equal(await countRawTables(t.db), before);
  });

  test('XHR uploads (the progress bar) get JSON with where to go next', async () => {
    const form = await steward.get(`/manage/datasets/${hb}/upload`);
    assert.match(form.text, /src="\/public\/upload.js"/);
    const token = csrfFrom(form.text);
    const ok = await steward
      .post(`/manage/datasets/${hb}/upload`)
      .set('X-Requested-With', 'XMLHttpRequest')
      .set('X-CSRF-Token', token)
      .field('_csrf', token)
      .attach('file', path.join(fixtureDir, 'windows-1252.csv'));
    assert.equal(ok.status, 201, ok.text);
    assert.match(ok.body.redirect, /\/sources\/\d+$/);
    const bad = await steward
      .post(`/manage/datasets/${hb}/upload`)
      .set('X-Requested-With', 'XMLHttpRequest')
      .field('_csrf', token)
      .attach('file', path.join(fixtureDir, 'unclosed-quote.csv'));
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /Row 3, column 2/);
    const js = await request(t.app).get('/public/upload.js');
    assert.equal(js.status, 200);
  });

  for (const c of fixtureCases()) {
    test(`fixture ${c.file} → ${c.status}`, async () => {
      const before = await countRawTables(t.db);
      const res = await upload(steward, 'adult-social-care-service-users', path.join(fixtureDir, c.file));
      if (c.status === 200) {
        assert.equal(res.status, 303, res.text.slice(0, 500));
        const json = await steward.get(res.headers.location + '.json');
        assert.equal(json.body.source.rows, c.rows);
        if (c.columns) assert.deepEqual(json.body.source.columns.map((x: { name: string }) => x.name), c.columns);
        assert.equal(await countRawTables(t.db), before + 1);
      } else {
        assert.equal(res.status, c.status, res.text.slice(0, 300));
        assert.match(res.text, /The file was not imported/);
        assert.match(res.text.replace(/&#34;/g, '"').replace(/&quot;/g, '"'), new RegExp(c.message!));
        assert.equal(await countRawTables(t.db), before);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }
});

describe('API (manage token)', () => {
  test('text/csv body, gzip body and multipart all import; type overrides apply', async () => {
    const csv = 'id,code,amount\n1,007,1.50\n2,010,2\n';
    const plain = await request(t.app).post(`/api/v1/manage/datasets/${hb}/sources?type=id:string`).set('Authorization', `Bearer ${manageToken}`).type('text/csv').send(csv);
    assert.equal(plain.status, 201, plain.text);
    assert.deepEqual(plain.body.source.columns.map((c: { type: string }) => c.type), ['string', 'string', 'number']);
    assert.match(plain.headers.location, /^\/api\/v1\/manage\/datasets\/housing-benefit-claims\/sources\/\d+$/);
    const gz = await request(t.app)
      .post(`/api/v1/manage/datasets/${hb}/sources?mode=append`)
      .set('Authorization', `Bearer ${manageToken}`)
      .set('Content-Type', 'text/csv')
      .set('Content-Encoding', 'gzip')
      .send((await import('node:zlib')).gzipSync('id,code,amount\n3,011,4\n'));
    assert.equal(gz.status, 201, gz.text);
    assert.equal(gz.body.source.rows, 3, 'append keeps the previous rows');
    assert.deepEqual(gz.body.source.columns.map((c: { type: string }) => c.type), ['string', 'string', 'number'], 'and their types');
    assert.equal(gz.body.format.compressed, true);
    const multi = await request(t.app).post(`/api/v1/manage/datasets/${hb}/sources`).set('Authorization', `Bearer ${manageToken}`).attach('file', path.join(fixtureDir, 'tab-separated.tsv'));
    assert.equal(multi.status, 201, multi.text);
    assert.equal(multi.body.format.delimiter, '\t');
    const got = await request(t.app).get(plain.headers.location).set('Authorization', `Bearer ${manageToken}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.source.rows, 2);
  });

  for (const c of fixtureCases()) {
    test(`fixture ${c.file} → ${c.status === 200 ? 201 : c.status}`, async () => {
      const res = await request(t.app)
        .post(`/api/v1/manage/datasets/${hb}/sources?filename=${encodeURIComponent(c.file)}`)
        .set('Authorization', `Bearer ${manageToken}`)
        .type('text/csv')
        .send(fs.readFileSync(path.join(fixtureDir, c.file)));
      if (c.status === 200) {
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.source.rows, c.rows);
      } else {
        assert.equal(res.status, c.status, res.text);
        assert.match(res.body.error.message, new RegExp(c.message!));
        assert.equal(typeof res.body.error.code, 'string');
      }
    });
  }

  test('a read-only token, another publisher\'s steward and anonymous callers cannot import', async () => {
    const ro = await request(t.app).post(`/api/v1/manage/datasets/${hb}/sources`).set('Authorization', `Bearer ${readToken}`).type('text/csv').send('a\n1\n');
    assert.equal(ro.status, 403);
    assert.match(ro.body.error.message, /manage scope/);
    const anon = await request(t.app).post(`/api/v1/manage/datasets/${hb}/sources`).type('text/csv').send('a\n1\n');
    assert.equal(anon.status, 401);
    const other = await otherSteward.get(`/manage/datasets/${hb}/upload`);
    assert.equal(other.status, 404);
    const missing = await request(t.app).post('/api/v1/manage/datasets/no-such-dataset/sources').set('Authorization', `Bearer ${manageToken}`).type('text/csv').send('a\n1\n');
    assert.equal(missing.status, 404);
    const media = await request(t.app).post(`/api/v1/manage/datasets/${hb}/sources`).set('Authorization', `Bearer ${manageToken}`).type('application/json').send('{}');
    assert.equal(media.status, 415);
  });
});

describe('classification (page and API), audited with before and after', () => {
  test('the steward confirms and corrects roles and level on the page', async () => {
    const sc = 'adult-social-care-service-users';
    const res = await upload(steward, sc, seedFile('adult-social-care-service-users.csv'));
    assert.equal(res.status, 303);
    const page = await steward.get(`/manage/datasets/${sc}/classification`);
    assert.equal(page.status, 200);
    assert.match(page.text, /NHS numbers with a valid modulus-11 check digit/);
    const json = (await steward.get(`/manage/datasets/${sc}/classification.json`)).body;
    assert.equal(json.suggestedLevel, 'special_category');
    const fields: Record<string, string> = { _csrf: csrfFrom(page.text), level: 'special_category', version: String(json.source.version), reason: 'checked with the service manager' };
    json.columns.forEach((c: { index: number; role: string; name: string }) => {
      fields[`role_${c.index}`] = c.name === 'ward' ? 'quasi_identifier' : c.role;
    });
    const ageIndex = json.columns.find((c: { name: string }) => c.name === 'age').index;
    fields[`text_${ageIndex}`] = 'yes';
    const saved = await steward.post(`/manage/datasets/${sc}/classification`).type('form').send(fields);
    assert.equal(saved.status, 303, saved.text);
    const after = (await steward.get(`/manage/datasets/${sc}/classification.json`)).body;
    assert.equal(after.status, 'confirmed');
    assert.equal(after.columns.find((c: { name: string }) => c.name === 'ward').role, 'quasi_identifier');
    assert.equal(after.columns.find((c: { name: string }) => c.name === 'age').type, 'string');
    const entry = await t.db('audit_log').where({ action: 'classification.updated' }).orderBy('seq', 'desc').first();
    const details = JSON.parse(entry.details);
    assert.equal(details.dataset, sc);
    assert.deepEqual(details.changedColumns.sort(), ['age', 'ward']);
    assert.equal(details.before.columns.find((c: { name: string }) => c.name === 'ward').role, 'location');
    assert.equal(details.after.columns.find((c: { name: string }) => c.name === 'ward').role, 'quasi_identifier');
    assert.equal(details.reason, 'checked with the service manager');
    const noCsrf = await steward.post(`/manage/datasets/${sc}/classification`).type('form').send({ ...fields, _csrf: 'nope' });
    assert.equal(noCsrf.status, 403);
  });

  test('the API changes the level and roles; bad input is a 400 naming the problem', async () => {
    const slug = 'household-smart-meter-readings';
    const r = await request(t.app).post(`/api/v1/manage/datasets/${slug}/sources`).set('Authorization', `Bearer ${manageToken}`).type('text/csv').send(fs.readFileSync(seedFile('household-smart-meter-readings.csv')));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.suggestedLevel, 'personal');
    const got = await request(t.app).get(`/api/v1/manage/datasets/${slug}/classification`).set('Authorization', `Bearer ${manageToken}`);
    const columns = got.body.columns.map((c: { name: string; role: string }) => ({ name: c.name, role: c.name === 'kwh' ? 'sensitive' : c.role }));
    const put = await request(t.app).put(`/api/v1/manage/datasets/${slug}/classification`).set('Authorization', `Bearer ${manageToken}`).send({ level: 'confidential', columns });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.dataset.level, 'confidential');
    const ds = await t.db('datasets').where({ slug }).first();
    assert.equal(ds.sensitivity_level, 'confidential');
    const bad = await request(t.app).put(`/api/v1/manage/datasets/${slug}/classification`).set('Authorization', `Bearer ${manageToken}`).send({ level: 'public', columns: columns.slice(1) });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /each of the \d+ columns/);
    const badRole = await request(t.app).put(`/api/v1/manage/datasets/${slug}/classification`).set('Authorization', `Bearer ${manageToken}`).send({ level: 'public', columns: [{ name: 'x', role: 'boss' }] });
    assert.equal(badRole.status, 400);
    const ro = await request(t.app).put(`/api/v1/manage/datasets/${slug}/classification`).set('Authorization', `Bearer ${readToken}`).send({ level: 'public', columns });
    assert.equal(ro.status, 403);
  });
});

describe('versions and purge', () => {
  test('old versions are kept until an admin purges them; the purge is audited', async () => {
    const list = await steward.get(`/manage/datasets/${hb}/sources.json`);
    assert.ok(list.body.sources.length >= 3);
    const oldest = list.body.sources[list.body.sources.length - 1];
    const refused = await request(t.app).delete(`/api/v1/manage/datasets/${hb}/sources/${oldest.version}`).set('Authorization', `Bearer ${manageToken}`).send({ reason: 'tidy up' });
    assert.equal(refused.status, 403, 'stewards cannot purge');
    const page = await admin.get(`/manage/datasets/${hb}/sources`);
    assert.equal(page.status, 200);
    const purged = await admin.post(`/manage/datasets/${hb}/sources/${oldest.version}/purge`).type('form').send({ _csrf: csrfFrom(page.text), reason: 'superseded seed data' });
    assert.equal(purged.status, 303, purged.text);
    const after = await admin.get(`/manage/datasets/${hb}/sources/${oldest.version}.json`);
    assert.ok(after.body.source.purged);
    const entry = await t.db('audit_log').where({ action: 'ingest.source_purged' }).orderBy('seq', 'desc').first();
    assert.match(entry.details, /superseded seed data/);
    const latest = list.body.sources[0];
    const page2 = await admin.get(`/manage/datasets/${hb}/sources`);
    const notLatest = await admin.post(`/manage/datasets/${hb}/sources/${latest.version}/purge`).type('form').send({ _csrf: csrfFrom(page2.text), reason: 'oops' });
    assert.equal(notLatest.status, 409);
  });

  test('imports and rejections are in the audit log, and no raw value reaches public pages', async () => {
    const imported = await t.db('audit_log').where({ action: 'ingest.source_imported' }).whereNot({ actor: 'system' });
    assert.ok(imported.length > 5);
    const rejected = await t.db('audit_log').where({ action: 'ingest.source_rejected' });
    assert.ok(rejected.length > 5);
    for (const r of rejected) assert.doesNotMatch(r.details, /Zoë|Bj.rk|SUM\(A1|surplus|polluted/);
    for (const url of ['/', '/datasets', `/datasets/${hb}`, '/datasets.json?q=claims']) {
      const res = await request(t.app).get(url);
      assert.doesNotMatch(res.text, /HB700001|=SUM\(A1:A9\)|Café crème/, url);
    }
  });
});

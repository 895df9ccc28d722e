import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { getPublicDataset } from '../../src/catalogue/public-catalogue.repository';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** Frictionless datapackage.json per release. */
describe('datapackage.json', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  test('describes the canonical CSV with a Table Schema from the release columns', async () => {
    const d = (await getPublicDataset(t.db, 'air-quality-hourly'))!;
    const r = d.releases[0];
    const res = await request(t.app).get(`/datasets/air-quality-hourly/releases/${r.version}/datapackage.json`);
    assert.equal(res.status, 200);
    const pkg = res.body;
    assert.equal(pkg.profile, 'tabular-data-package');
    assert.equal(pkg.name, 'air-quality-hourly');
    assert.equal(pkg.licenses[0].name, d.licence.id);
    const resource = pkg.resources[0];
    assert.equal(resource.profile, 'tabular-data-resource');
    assert.equal(resource.path, `http://plaza.test/datasets/air-quality-hourly/releases/${r.version}/data.csv`);
    assert.equal(resource.bytes, r.byteSize);
    assert.equal(resource.hash, `sha256:${r.checksum}`);
    assert.deepEqual(resource.schema.fields.map((f: { name: string; type: string }) => [f.name, f.type]), r.columns.map((c) => [c.name, c.type]));
    for (const f of resource.schema.fields) assert.ok(['integer', 'number', 'boolean', 'date', 'datetime', 'string'].includes(f.type));
    // The resource's path really serves those bytes.
    const csv = await request(t.app).get(new URL(resource.path).pathname).set('Accept-Encoding', 'identity');
    assert.equal(Number(csv.headers['content-length']), resource.bytes);
  });

  test('latest redirects; unknown releases 404', async () => {
    const res = await request(t.app).get('/datasets/wards/releases/latest/datapackage.json');
    assert.equal(res.status, 302);
    assert.match(res.headers.location, /^\/datasets\/wards\/releases\/\d+\/datapackage\.json$/);
    const missing = await request(t.app).get('/datasets/wards/releases/42/datapackage.json');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });
});

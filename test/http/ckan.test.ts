import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { getPublicDataset } from '../../src/catalogue/public-catalogue.repository';
import type { CellValue } from '../../src/catalogue/table-schema';
import { iterateRows } from '../../src/db/data-table';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** The CKAN Action API subset, used the way CKAN clients (ckanapi, ckanr) use it. */
describe('CKAN Action API', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  const action = (name: string) => `/api/3/action/${name}`;

  test("a CKAN client's call sequence: package_search → package_show → resource_show → datastore_search", async () => {
    const search = await request(t.app).get(action('package_search')).query({ q: 'parking', fq: 'organization:transport-and-highways', rows: 5, 'facet.field': '["tags","res_format"]' });
    assert.equal(search.status, 200);
    assert.equal(search.body.success, true);
    assert.equal(search.body.help, 'http://plaza.test/api/3/action/help_show?name=package_search');
    const { count, results, search_facets, facets } = search.body.result;
    assert.equal(typeof count, 'number');
    assert.ok(count >= 2);
    assert.ok(results.every((p: { organization: { name: string } }) => p.organization.name === 'transport-and-highways'));
    assert.ok(search_facets.tags.items.some((i: { name: string; count: number }) => i.name === 'parking' && i.count >= 2));
    assert.equal(facets.res_format.CSV, count);

    const name = results.find((p: { name: string }) => p.name === 'car-parks').name;
    const show = await request(t.app).post(action('package_show')).send({ id: name });
    assert.equal(show.status, 200);
    const pkg = show.body.result;
    for (const k of ['id', 'name', 'title', 'notes', 'license_id', 'license_title', 'organization', 'owner_org', 'tags', 'groups', 'resources', 'num_resources', 'num_tags', 'metadata_created', 'metadata_modified', 'state', 'type', 'private', 'extras']) {
      assert.ok(k in pkg, k);
    }
    assert.equal(pkg.num_resources, 3);
    assert.equal(pkg.private, false);
    const byId = await request(t.app).get(action('package_show')).query({ id: pkg.id });
    assert.equal(byId.body.result.name, 'car-parks');
    const csv = pkg.resources.find((r: { format: string }) => r.format === 'CSV');
    assert.equal(csv.datastore_active, true);
    assert.equal(csv.package_id, pkg.id);

    const res = await request(t.app).get(action('resource_show')).query({ id: csv.id });
    assert.equal(res.body.result.url, csv.url);

    const d = (await getPublicDataset(t.db, 'car-parks'))!;
    const rows: CellValue[][] = [];
    for await (const b of iterateRows(t.db, d.releases[0].tableName, d.releases[0].columns)) rows.push(...b);
    const ds = await request(t.app).post(action('datastore_search')).send({ resource_id: csv.id, limit: 3, offset: 2 });
    assert.equal(ds.status, 200);
    const r = ds.body.result;
    assert.equal(r.total, rows.length);
    assert.equal(r.records.length, 3);
    assert.deepEqual(r.fields[0], { id: '_id', type: 'int' });
    assert.equal(r.records[0]._id, 3);
    assert.deepEqual(r.records.map((x: Record<string, unknown>) => x.name), rows.slice(2, 5).map((row) => row[1]));
    assert.equal(r._links.start, `/api/3/action/datastore_search?resource_id=${csv.id}`);
    assert.equal(r._links.next, `/api/3/action/datastore_search?resource_id=${csv.id}&offset=5`);
  });

  test('datastore_search filters, q, fields and sort', async () => {
    const pkg = (await request(t.app).get(action('package_show')).query({ id: 'car-parks' })).body.result;
    const id = pkg.resources[0].id;
    const first = (await request(t.app).get(action('datastore_search')).query({ resource_id: id, limit: 1 })).body.result.records[0];
    const filtered = await request(t.app).get(action('datastore_search')).query({ resource_id: id, filters: JSON.stringify({ name: first.name }), fields: 'name,capacity' });
    assert.equal(filtered.body.result.total, 1);
    assert.deepEqual(Object.keys(filtered.body.result.records[0]), ['name', 'capacity']);
    const sorted = await request(t.app).get(action('datastore_search')).query({ resource_id: id, sort: 'capacity desc', limit: 100, include_total: 'false' });
    const caps = sorted.body.result.records.map((x: { capacity: number }) => x.capacity);
    assert.deepEqual(caps, [...caps].sort((a, b) => b - a));
    assert.equal(sorted.body.result.total, undefined);
    const q = await request(t.app).get(action('datastore_search')).query({ resource_id: id, q: String(first.name).toLowerCase() });
    assert.ok(q.body.result.total >= 1);
  });

  test('lists: package_list, organization_list, group_list, tag_list, license_list, organization_show', async () => {
    const packages = (await request(t.app).get(action('package_list'))).body.result;
    assert.equal(packages.length, demoCatalogue.publicDatasets);
    assert.ok(packages.includes('wards'));
    const orgs = (await request(t.app).get(action('organization_list'))).body.result;
    assert.ok(orgs.includes('finance'));
    const orgsFull = (await request(t.app).get(action('organization_list')).query({ all_fields: 'true' })).body.result;
    assert.equal(orgsFull.find((o: { name: string }) => o.name === 'finance').package_count, 2);
    const groups = (await request(t.app).post(action('group_list')).send({})).body.result;
    assert.ok(groups.includes('transport'));
    const tags = (await request(t.app).get(action('tag_list'))).body.result;
    assert.ok(tags.includes('parking'));
    const licences = (await request(t.app).get(action('license_list'))).body.result;
    assert.ok(licences.some((l: { id: string; title: string }) => l.id === 'OGL-UK-3.0' && l.title));
    const org = (await request(t.app).get(action('organization_show')).query({ id: 'finance', include_datasets: 'true' })).body.result;
    assert.equal(org.is_organization, true);
    assert.equal(org.packages.length, 2);
  });

  test("CKAN's error shapes and status codes", async () => {
    const unknown = await request(t.app).get(action('package_delete'));
    assert.equal(unknown.status, 400);
    assert.deepEqual(Object.keys(unknown.body).sort(), ['error', 'help', 'success']);
    assert.equal(unknown.body.success, false);
    assert.equal(unknown.body.error.__type, 'Bad request');
    const missing = await request(t.app).get(action('package_show')).query({ id: 'no-such-dataset' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body.error, { __type: 'Not Found Error', message: 'Not found' });
    const noId = await request(t.app).get(action('package_show'));
    assert.equal(noId.status, 409);
    assert.equal(noId.body.error.__type, 'Validation Error');
    assert.ok(Array.isArray(noId.body.error.id));
    const badFilter = await request(t.app).get(action('datastore_search')).query({ resource_id: 'd47a0002-0000-4000-8000-000000000001', filters: '{"nope":1}' });
    assert.ok([404, 409].includes(badFilter.status));
    const badFq = await request(t.app).get(action('package_search')).query({ fq: 'colour:red' });
    assert.equal(badFq.status, 400);
    assert.equal(badFq.body.error.__type, 'Search Query Error');
    const rows = await request(t.app).get(action('package_search')).query({ rows: 5000 });
    assert.equal(rows.status, 200, 'rows above 1000 are capped, as CKAN does');
    const badJson = await request(t.app).post(action('package_show')).set('Content-Type', 'application/json').send('{nope');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.success, false);
  });
});

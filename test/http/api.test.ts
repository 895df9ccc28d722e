import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** REST API v1: envelopes, cursor pagination, errors, and responses that match the OpenAPI document. */
describe('API v1', () => {
  let t: TestApp;
  let validateAgainst: (ref: string, body: unknown) => void;
  before(async () => {
    t = await createTestApp();
    const doc = (await request(t.app).get('/api/v1/openapi.json')).body as { components: { schemas: Record<string, object> } };
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'plaza', $defs: doc.components.schemas });
    validateAgainst = (ref, body) => {
      const v = ajv.getSchema(`plaza#/$defs/${ref}`)!;
      assert.ok(v(body), `${ref}: ${JSON.stringify(v.errors?.slice(0, 3))}`);
    };
  });
  after(async () => {
    await t.close();
  });

  test('the OpenAPI 3.1 document lists every route with parameters generated from the zod schemas', async () => {
    const res = await request(t.app).get('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const publicPaths = Object.keys(res.body.paths).filter((p) => !p.startsWith('/manage/') && !p.startsWith('/streams/')).sort();
    assert.deepEqual(publicPaths, [
      '/datasets',
      '/datasets/{slug}',
      '/datasets/{slug}/releases',
      '/datasets/{slug}/releases/{version}',
      '/publishers',
      '/publishers/{slug}',
      '/themes',
      '/themes/{slug}',
    ]);
    for (const p of ['/manage/datasets/{slug}/policy', '/manage/datasets/{slug}/preview', '/manage/datasets/{slug}/release/approve', '/manage/datasets/{slug}/releases/{version}/withdraw', '/manage/reviews']) {
      assert.ok(res.body.paths[p], `${p} is documented`);
    }
    const ingest = res.body.paths['/streams/{stream}/readings'].post;
    assert.deepEqual(ingest.parameters.filter((p: { in: string }) => p.in === 'header').map((p: { name: string }) => p.name), ['X-Plaza-Timestamp', 'X-Plaza-Sequence', 'X-Plaza-Signature']);
    assert.deepEqual(ingest.security, [{ device: [] }]);
    assert.ok(res.body.components.securitySchemes.device, 'devices authenticate with their own credential');
    const reject = res.body.paths['/manage/datasets/{slug}/release/reject'].post.requestBody.content['application/json'].schema;
    assert.equal(reject.properties.reason.minLength, 10, 'request bodies come from the zod schemas the routes validate with');
    const params = (res.body.paths['/datasets'].get.parameters as Array<{ name: string; schema: { maximum?: number } }>);
    assert.deepEqual(params.map((p) => p.name).sort(), ['cursor', 'format', 'keyword', 'level', 'licence', 'limit', 'publisher', 'q', 'sort', 'theme']);
    assert.equal(params.find((p) => p.name === 'limit')!.schema.maximum, 100);
    assert.equal(params.find((p) => p.name === 'q')!.schema.maximum, undefined);
  });

  test('dataset search pages with opaque cursors until next is null, with facets', async () => {
    const seen: string[] = [];
    let url: string | null = '/api/v1/datasets?limit=5&sort=title';
    let pages = 0;
    while (url) {
      const res = await request(t.app).get(url.replace('http://plaza.test', ''));
      assert.equal(res.status, 200);
      validateAgainst('DatasetList', res.body);
      seen.push(...res.body.data.map((d: { slug: string }) => d.slug));
      assert.equal(res.body.meta.total, demoCatalogue.publicDatasets);
      assert.ok(res.body.meta.facets.publisher.length > 0);
      url = res.body.links.next;
      pages++;
    }
    assert.equal(pages, Math.ceil(demoCatalogue.publicDatasets / 5));
    assert.equal(new Set(seen).size, demoCatalogue.publicDatasets);
    const filtered = await request(t.app).get('/api/v1/datasets?publisher=finance&q=spending');
    assert.deepEqual(filtered.body.data.map((d: { slug: string }) => d.slug), ['council-spending-over-500']);
  });

  test('one dataset, its releases and one release', async () => {
    const d = await request(t.app).get('/api/v1/datasets/car-parks');
    assert.equal(d.status, 200);
    validateAgainst('DatasetItem', d.body);
    assert.equal(d.body.data.latestRelease.links.csv, `http://plaza.test/datasets/car-parks/releases/${d.body.data.latestRelease.version}/data.csv`);
    const list = await request(t.app).get('/api/v1/datasets/car-parks/releases');
    validateAgainst('ReleaseList', list.body);
    assert.equal(list.body.links.next, null);
    const latest = await request(t.app).get('/api/v1/datasets/car-parks/releases/latest');
    validateAgainst('ReleaseItem', latest.body);
    assert.equal(latest.body.data.version, d.body.data.latestRelease.version);
  });

  test('publishers and themes', async () => {
    const pubs = await request(t.app).get('/api/v1/publishers?limit=3');
    validateAgainst('PublisherList', pubs.body);
    assert.equal(pubs.body.data.length, 3);
    const next = await request(t.app).get(new URL(pubs.body.links.next).pathname + new URL(pubs.body.links.next).search);
    assert.notEqual(next.body.data[0].slug, pubs.body.data[0].slug);
    const one = await request(t.app).get('/api/v1/publishers/finance');
    validateAgainst('PublisherItem', one.body);
    assert.equal(one.body.data.datasetCount, 2);
    const themes = await request(t.app).get('/api/v1/themes');
    validateAgainst('ThemeList', themes.body);
    const theme = await request(t.app).get('/api/v1/themes/transport');
    validateAgainst('ThemeItem', theme.body);
  });

  test('errors use the one error body', async () => {
    const missing = await request(t.app).get('/api/v1/datasets/nope');
    assert.equal(missing.status, 404);
    validateAgainst('Error', missing.body);
    const badCursor = await request(t.app).get('/api/v1/datasets?cursor=garbage');
    assert.equal(badCursor.status, 400);
    assert.match(badCursor.body.error.message, /"cursor"/);
    const badLimit = await request(t.app).get('/api/v1/themes?limit=1000');
    assert.equal(badLimit.status, 400);
    assert.match(badLimit.body.error.message, /"limit"/);
    const badSort = await request(t.app).get('/api/v1/datasets?sort=random');
    assert.equal(badSort.status, 400);
    assert.match(badSort.body.error.message, /"sort"/);
  });

  test('the human-readable API page lists the endpoints', async () => {
    const res = await request(t.app).get('/api');
    assert.equal(res.status, 200);
    assert.match(res.text, /GET \/api\/v1\/datasets\/\{slug\}\/releases/);
    assert.match(res.text, /datastore_search/);
    assert.match(res.text, /href="\/api\/v1\/openapi.json"/);
  });
});

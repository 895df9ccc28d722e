import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { canaryPrefix, crawl, plantCanaries } from '../helpers/canary';

let t: TestApp;
let planted: string[];
before(async () => {
  t = await createTestApp();
  planted = await plantCanaries(t.db);
});
after(() => t.close());

/** Public entry points beyond what links reach (feeds, APIs, machine-readable twins). */
const starts = [
  '/',
  '/index.json',
  '/datasets',
  '/datasets.json?per_page=100',
  '/publishers.json',
  '/themes.json',
  '/robots.txt',
  '/sitemap.xml',
  '/data.json',
  '/catalog.jsonld',
  '/catalog.ttl',
  '/api',
  '/api/v1',
  '/api/v1/openapi.json',
  '/api/v1/datasets?per_page=100',
  '/api/v1/publishers',
  '/api/v1/themes',
  '/api/3/action/package_list',
  '/api/3/action/package_search?rows=1000',
  '/api/3/action/organization_list?all_fields=true',
  '/api/3/action/tag_list',
  '/api/3/action/group_list',
];

test('no canary planted in private data or unpublished metadata reaches any public response', async () => {
  assert.ok(planted.length > 50);
  // Skip the heavy download variants: every release's data.csv is still fetched once.
  const report = await crawl(t.app, t.config.baseUrl, starts, { max: 800, skip: /\/data\.(json|ndjson)\?|[?&](page|sort)=/ });
  assert.ok(report.visited.length > 60, `crawled only ${report.visited.length} URLs`);
  assert.ok(report.visited.some((u) => /\/data\.csv$/.test(u)), 'downloads were crawled');
  const slugs = (await t.db('pub_datasets').pluck('slug')) as string[];
  for (const slug of slugs) assert.ok(report.visited.includes(`/datasets/${slug}`), `dataset page of ${slug} was crawled`);
  const ok = Object.values(report.statuses).filter((s) => s === 200).length;
  assert.ok(ok > 50, `${ok} URLs answered 200`);
  assert.deepEqual(report.leaks, []);
});

test('searching for a canary finds nothing, and error pages do not echo private values', async () => {
  const marker = planted[0];
  for (const url of [`/datasets.json?q=${marker}`, `/datasets?q=${marker}`, `/api/v1/datasets?q=${marker}`, `/api/3/action/package_search?q=${marker}`]) {
    const res = await request(t.app).get(url);
    assert.ok(res.status < 500, url);
    if (res.headers['content-type']?.includes('json') && res.body?.total !== undefined) assert.equal(res.body.total, 0, url);
  }
  for (const slug of ['housing-benefit-claims', 'community-safety-case-register']) {
    const res = await request(t.app).get(`/datasets/${slug}`);
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.text, new RegExp(canaryPrefix));
  }
});

test('catalogue counts are the same as without the restricted datasets', async () => {
  const home = (await request(t.app).get('/index.json').expect(200)).body;
  assert.equal(home.counts.datasets, demoCatalogue.publicDatasets);
  const search = (await request(t.app).get('/datasets.json').expect(200)).body;
  assert.equal(search.total, demoCatalogue.publicDatasets);
  assert.deepEqual(search.facets.level.map((f: { value: string }) => f.value), ['public']);
});

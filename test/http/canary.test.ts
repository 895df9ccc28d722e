import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { canaryPrefix, crawl, plantCanaries } from '../helpers/canary';
import type { Actor } from '../../src/auth/actor';
import { getDatasetBySlug } from '../../src/catalogue/dataset.repository';
import { ValidationError } from '../../src/errors';
import { approveRelease, previewRelease, publishApprovedRelease, saveReleasePolicy, submitRelease } from '../../src/publishing/release-workflow.service';
import { demoReleasePolicies } from '../../seeds/lib/demo-policies';

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
    assert.equal(res.status, 200, 'listed from its published snapshot');
    assert.doesNotMatch(res.text, new RegExp(canaryPrefix));
  }
  const unpublished = (await t.db('datasets').whereNotIn('id', t.db('pub_datasets').select('id')).pluck('slug')) as string[];
  for (const slug of unpublished) {
    const res = await request(t.app).get(`/datasets/${slug}`);
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.text, new RegExp(canaryPrefix));
  }
});

test('catalogue counts are the same as without the canaries', async () => {
  const home = (await request(t.app).get('/index.json').expect(200)).body;
  assert.equal(home.counts.datasets, demoCatalogue.publicDatasets);
  const search = (await request(t.app).get('/datasets.json').expect(200)).body;
  assert.equal(search.total, demoCatalogue.publicDatasets);
  assert.deepEqual(search.facets.level.map((f: { value: string }) => f.value).sort(), ['confidential', 'personal', 'public', 'special_category']);
});

test('protected releases made from sources full of canaries publish none of them', async () => {
  const ctx = { db: t.db, secret: t.config.secret, inline: true };
  const stewardA: Actor = { kind: 'system', id: 'system:canary-steward' };
  const stewardB: Actor = { kind: 'system', id: 'system:canary-approver' };
  let published = 0;
  for (const slug of demoCatalogue.protectedSlugs) {
    const dataset = (await getDatasetBySlug(t.db, slug))!;
    const demo = demoReleasePolicies[slug];
    await saveReleasePolicy(ctx, { dataset, policy: demo.policy, settings: demo.settings, actor: stewardA });
    try {
      await previewRelease(ctx, { dataset, actor: stewardA });
    } catch (err) {
      // A canary is not a postcode or a time: the generaliser refuses it (privately, to the steward).
      assert.ok(err instanceof ValidationError, String(err));
      assert.equal(slug, 'household-smart-meter-readings');
      continue;
    }
    await submitRelease(ctx, { dataset, actor: stewardA });
    await approveRelease(ctx, { dataset, actor: stewardB });
    await publishApprovedRelease(ctx, { dataset, actor: stewardB });
    published++;
  }
  assert.equal(published, 2, 'housing benefit and social care were published again from the canaried sources');
  const report = await crawl(t.app, t.config.baseUrl, starts, { max: 800, skip: /\/data\.(json|ndjson)\?|[?&](page|sort)=/ });
  assert.ok(report.visited.some((u) => /housing-benefit-claims\/releases\/2\/data\.csv$/.test(u)), 'the new release was downloaded');
  // Publishing copies the dataset's working metadata, so the canaries planted as draft metadata
  // edits of the two re-published datasets are now public, as they should be; nothing else is.
  const republished = (await t.db('datasets').whereIn('slug', ['housing-benefit-claims', 'adult-social-care-service-users']).pluck('id')).map(Number);
  const draftEdit = new RegExp(`^${canaryPrefix}(title|summary|description|email|access|kw)(${republished.join('|')})x`, 'i');
  assert.deepEqual(report.leaks.filter((l) => !draftEdit.test(l.marker)), []);
  assert.ok(report.leaks.every((l) => !/^canaryxraw/i.test(l.marker)), 'no raw cell');
  // The canary rows are counted (as "Other"), never named.
  const csv = (await request(t.app).get('/datasets/adult-social-care-service-users/releases/2/data.csv').expect(200)).text;
  assert.match(csv, /Other/);
  assert.doesNotMatch(csv, new RegExp(canaryPrefix));
});

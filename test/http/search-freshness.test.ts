import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { SearchQuery } from '../../src/catalogue/catalogue.types';
import { insertDataset } from '../../src/catalogue/dataset.repository';
import { derivedFrom, getPublicDataset, getPublicDatasetsByIds, searchPublicDatasets } from '../../src/catalogue/public-catalogue.repository';
import { readPublicGeneration } from '../../src/db/catalogue-search';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { publishRelease } from '../../src/publishing/publish.service';
import { bumpPublicGeneration } from '../../src/publishing/publication.repository';
import { withdrawRelease } from '../../src/publishing/withdraw.service';
import { datasetInput } from '../helpers/datasets';
import { createTestApp, type TestApp } from '../helpers/test-app';

/**
 * The search caches (results, facet counts, the whole catalogue's facets, rendered fragments, JSON
 * bodies, CKAN dictionaries) are keyed by the catalogue generation: every public surface shows a
 * publish or a withdrawal at once, although each was cached just before.
 */

const noFilters = (): SearchQuery['filters'] => ({ theme: [], publisher: [], licence: [], format: [], level: [], keyword: [] });
const query = (q: string): SearchQuery => ({ q, filters: noFilters(), sort: 'relevance', page: 1, perPage: 20 });

describe('search caches after a publish or a withdrawal', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const get = (path: string) => request(t.app).get(path).expect(200);
  const keywordCount = (facets: { keyword: Array<{ value: string; count: number }> }, k: string) => facets.keyword.find((v) => v.value === k)?.count ?? 0;

  /** Everything a visitor or client sees of the catalogue that goes through the caches. */
  const surfaces = async (publisher: string, theme: string) => {
    const html = (await get('/datasets?q=kestrel')).text;
    const json = (await get('/datasets.json?q=kestrel')).body;
    const all = (await get('/datasets.json')).body;
    const allHtml = (await get('/datasets')).text;
    const byKeyword = (await get('/datasets.json?keyword=kestrels')).body;
    const publisherPage = (await get(`/publishers/${publisher}`)).text;
    const publisherJson = (await get(`/publishers/${publisher}.json`)).body;
    const themeJson = (await get(`/themes/${theme}.json`)).body;
    const api = (await get('/api/v1/datasets?q=kestrel')).body;
    const ckan = (await get('/api/3/action/package_search?q=kestrel&facet.field=["tags"]')).body.result;
    return { html, json, all, allHtml, byKeyword, publisherPage, publisherJson, themeJson, api, ckan };
  };

  test('every cached surface shows a new dataset at once, and its withdrawal', async () => {
    const publisher = (await t.db('publishers').orderBy('id').first('id', 'slug')) as { id: number; slug: string };
    const theme = (await t.db('themes').orderBy('id').first('id', 'slug')) as { id: number; slug: string };
    // Fill every cache, twice so the second answer is a cache hit.
    await surfaces(publisher.slug, theme.slug);
    const before = await surfaces(publisher.slug, theme.slug);
    assert.equal(before.json.total, 0);
    assert.doesNotMatch(before.html, /Kestrel nesting sites/);
    assert.equal(before.api.meta.total, 0);
    assert.equal(before.ckan.count, 0);
    assert.equal(before.byKeyword.total, 0);

    const id = await insertDataset(
      t.db,
      datasetInput({ slug: 'kestrel-nests', title: 'Kestrel nesting sites', summary: 'Where kestrels nest', publisherId: publisher.id, themeIds: [theme.id], keywords: ['kestrels'] }),
    );
    await publishRelease(t.db, { datasetId: id, columns: [{ name: 'site', type: 'string' }], batches: [[['Castle tower']]], actor: 'system' });

    const now = await surfaces(publisher.slug, theme.slug);
    assert.equal(now.json.total, 1);
    assert.deepEqual(now.json.results.map((r: { slug: string }) => r.slug), ['kestrel-nests']);
    assert.equal(keywordCount(now.json.facets, 'kestrels'), 1);
    assert.match(now.html, /Kestrel nesting sites/);
    assert.match(now.html, /value="kestrels"/, 'the rendered facets include the new keyword');
    assert.equal(now.all.total, before.all.total + 1, 'the whole catalogue’s counts include it');
    assert.equal(keywordCount(now.all.facets, 'kestrels'), 1);
    assert.notEqual(now.allHtml, before.allHtml);
    assert.equal(now.byKeyword.total, 1);
    assert.match(now.publisherPage, /Kestrel nesting sites/);
    assert.equal(now.publisherJson.total, before.publisherJson.total + 1);
    assert.equal(now.themeJson.total, before.themeJson.total + 1);
    assert.deepEqual(now.api.data.map((d: { slug: string }) => d.slug), ['kestrel-nests']);
    assert.equal(now.ckan.count, 1);
    assert.equal(now.ckan.results[0].name, 'kestrel-nests');
    assert.equal(now.ckan.results[0].num_resources, 3);
    assert.equal(now.ckan.facets.tags.kestrels, 1);

    await withdrawRelease(t.db, { datasetId: id, version: 1, reason: 'Nest sites must not be published', actor: 'system' });
    const withdrawn = await surfaces(publisher.slug, theme.slug);
    // The record stays in the catalogue; its release (the CKAN resources) is gone at once.
    assert.equal(withdrawn.ckan.count, 1);
    assert.equal(withdrawn.ckan.results[0].num_resources, 0);
    assert.deepEqual(withdrawn.ckan.results[0].resources, []);
  });

  test('a cached result is the same object until the generation changes; derived values follow it', async () => {
    const first = await searchPublicDatasets(t.db, query('parking'));
    assert.equal(await searchPublicDatasets(t.db, query('parking')), first);
    let computed = 0;
    const derive = (r: typeof first) => derivedFrom(r, 'test', () => ++computed);
    assert.equal(await derive(first), 1);
    assert.equal(await derive(first), 1);
    await bumpPublicGeneration(t.db);
    const next = await searchPublicDatasets(t.db, query('parking'));
    assert.notEqual(next, first);
    assert.deepEqual(next, first);
    assert.equal(await derive(next), 2);
  });

  test('facet counts of the whole catalogue expire like every other facet entry (a publisher renamed without a publish)', async (ctx) => {
    ctx.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const everything = query('');
    const label = async () => (await searchPublicDatasets(t.db, everything)).facets.publisher.map((p) => p.label);
    const [first] = await t.db('publishers').whereIn('id', t.db('pub_datasets').select('publisher_id')).orderBy('id').limit(1);
    const before = await label();
    assert.ok(before.includes(first.name));
    await t.db('publishers').where({ id: first.id }).update({ name: `${first.name} (renamed)` });
    ctx.mock.timers.tick(5 * 60_000);
    assert.deepEqual(await label(), before, 'within the TTL the cached counts are served');
    ctx.mock.timers.tick(6 * 60_000);
    assert.ok((await label()).includes(`${first.name} (renamed)`), 'after the TTL they are counted again');
    await t.db('publishers').where({ id: first.id }).update({ name: first.name });
  });

  test('what a transaction sees before it commits never reaches the shared caches', async () => {
    const publisher = (await t.db('publishers').orderBy('id').first('id')) as { id: number };
    const id = await insertDataset(t.db, datasetInput({ slug: 'osprey-platforms', title: 'Osprey platforms', publisherId: publisher.id }));
    await t.db
      .transaction(async (trx) => {
        // A publish in progress: the generation moves and the dataset is visible inside the transaction.
        await bumpPublicGeneration(trx);
        await trx('pub_datasets').insert({
          id,
          slug: 'osprey-platforms',
          title: 'Osprey platforms',
          summary: '',
          description: '',
          publisher_id: publisher.id,
          licence_id: 'OGL-UK-3.0',
          update_frequency: 'irregular',
          sensitivity_level: 'public',
          metadata_only: false,
          access_request: '',
          created_at: new Date().toISOString(),
          modified_at: new Date().toISOString(),
          published_at: new Date().toISOString(),
        });
        const inside = await searchPublicDatasets(trx, { ...query(''), sort: 'title', perPage: 100 });
        assert.ok(inside.results.some((d) => d.slug === 'osprey-platforms'));
        throw new Error('roll back');
      })
      .catch((e: Error) => assert.equal(e.message, 'roll back'));
    // The next commit reaches the same generation number the transaction saw.
    await bumpPublicGeneration(t.db);
    const outside = await searchPublicDatasets(t.db, { ...query(''), sort: 'title', perPage: 100 });
    assert.ok(!outside.results.some((d) => d.slug === 'osprey-platforms'));
    assert.ok(!(await get('/datasets.json?sort=title&per_page=100')).body.results.some((d: { slug: string }) => d.slug === 'osprey-platforms'));
  });
});

describe('dataset lists without N+1 queries', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('datasets loaded together equal datasets loaded one by one, in the order asked for', async () => {
    const slugs = (await t.db('pub_datasets').orderBy('slug', 'desc').pluck('slug')) as string[];
    const ids = (await t.db('pub_datasets').orderBy('slug', 'desc').pluck('id')).map(Number);
    const one = await Promise.all(slugs.map((s) => getPublicDataset(t.db, s)));
    assert.deepEqual(await getPublicDatasetsByIds(t.db, [...ids, 999_999]), one);
  });

  test('CKAN package_search runs as many queries for ten packages as for one', async () => {
    const queriesFor = async (qs: string) => {
      let n = 0;
      const count = () => n++;
      t.db.on('query', count);
      try {
        await request(t.app).get(`/api/3/action/package_search?${qs}`).expect(200);
      } finally {
        t.db.removeListener('query', count);
      }
      return n;
    };
    // Different sorts so that neither answer comes from the cache (the first also counts the whole catalogue's facets).
    await queriesFor('rows=1&sort=views_recent+desc');
    const one = await queriesFor('rows=1&sort=title_string+asc');
    const ten = await queriesFor('rows=10&sort=metadata_modified+desc');
    assert.ok(one > 0);
    assert.equal(ten, one);
  });
});

describe('search caches turned off', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { PLAZA_SEARCH_CACHE: '0' } });
  });
  after(() => t.close());

  test('PLAZA_SEARCH_CACHE=0 searches afresh every time, for the pages, the API and CKAN alike', async () => {
    const first = await searchPublicDatasets(t.db, query('parking'));
    const second = await searchPublicDatasets(t.db, query('parking'));
    assert.notEqual(first, second);
    assert.deepEqual(first, second);
    await request(t.app).get('/api/3/action/package_search?q=parking').expect(200);
  });
});

describe('the catalogue generation on a SQLite file', () => {
  test('is read on a side connection that sees every commit at once, and never a transaction in progress', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-generation-'));
    const db = await createDb('sqlite:' + path.join(dir, 'plaza.db'));
    try {
      await migrateLatest(db);
      const start = await readPublicGeneration(db);
      await bumpPublicGeneration(db);
      assert.equal(await readPublicGeneration(db), start + 1);
      await db.transaction(async (trx) => {
        await bumpPublicGeneration(trx);
        assert.equal(await readPublicGeneration(trx), start + 2, 'the transaction sees its own change');
        assert.equal(await readPublicGeneration(db), start + 1, 'others see the last commit');
      });
      assert.equal(await readPublicGeneration(db), start + 2);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { insertDataset } from '../../src/catalogue/dataset.repository';
import { publishRelease } from '../../src/publishing/publish.service';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { datasetInput } from '../helpers/datasets';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

const search = async (qs: string) => (await request(t.app).get(`/datasets.json?${qs}`).expect(200)).body;
const slugs = (body: { results: Array<{ slug: string }> }) => body.results.map((r) => r.slug);

describe('catalogue search', () => {
  test('full-text search matches title, summary, keywords and description, ranked by relevance', async () => {
    const body = await search('q=air+quality');
    assert.equal(body.total, 2 + demoCatalogue.streams.airQuality.length);
    assert.deepEqual(slugs(body).sort(), ['air-quality-hourly', 'air-quality-sensor-sites', ...demoCatalogue.streams.airQuality].sort());
    assert.equal(body.query.sort, 'relevance');
    // "nitrogen" appears only in one description
    assert.deepEqual(slugs(await search('q=nitrogen')), ['air-quality-hourly']);
    // stemming and prefixes: "recycl" finds recycling
    assert.ok(slugs(await search('q=recycl')).includes('recycling-rates-by-ward'));
    // a title match outranks a description-only match
    const parking = slugs(await search('q=parking'));
    assert.ok(parking.indexOf('car-park-occupancy') >= 0);
    const counts = slugs(await search('q=traffic'));
    assert.equal(counts[0], 'traffic-counts');
  });

  test('words in any order and case, with punctuation, find the same datasets', async () => {
    assert.deepEqual(slugs(await search('q=QUALITY,+air!')).sort(), slugs(await search('q=air+quality')).sort());
  });

  test('facets count every match, and several filters combine', async () => {
    const all = await search('');
    assert.equal(all.total, demoCatalogue.publicDatasets);
    const theme = Object.fromEntries(all.facets.theme.map((f: { value: string; count: number }) => [f.value, f.count]));
    assert.equal(theme.transport, 6 + demoCatalogue.streams.carParks.length);
    assert.equal(all.facets.level[0].value, 'public');
    assert.deepEqual(all.facets.format.map((f: { value: string }) => f.value).sort(), ['CSV', 'JSON', 'NDJSON']);
    const transport = await search('theme=transport');
    assert.equal(transport.total, 6 + demoCatalogue.streams.carParks.length);
    const both = await search('theme=transport&theme=environment');
    assert.equal(both.total, 9 + demoCatalogue.streams.carParks.length + demoCatalogue.streams.airQuality.length, 'values of one facet are alternatives (OR)');
    const narrowed = await search('theme=transport&publisher=anytown-energy-partnership');
    assert.deepEqual(slugs(narrowed), ['ev-charge-points'], 'different facets narrow (AND)');
    const licence = await search('licence=CC0-1.0');
    assert.deepEqual(slugs(licence), ['public-toilets']);
    const keyword = await search('keyword=parking&keyword=occupancy');
    assert.deepEqual(slugs(keyword), ['car-park-occupancy'], 'keywords narrow');
    const withText = await search('q=parking&theme=transport&format=CSV&level=public');
    assert.ok(withText.total >= 2);
    const none = await search('theme=transport&level=personal');
    assert.equal(none.total, 0);
  });

  test('sorts by title, recently updated and most downloaded', async () => {
    const byTitle = slugs(await search('sort=title&per_page=100'));
    const titles = (await search('sort=title&per_page=100')).results.map((r: { title: string }) => r.title.toLowerCase());
    assert.deepEqual([...titles].sort(), titles);
    assert.equal(byTitle.length, demoCatalogue.publicDatasets);
    const updated = (await search('sort=updated&per_page=100')).results.map((r: { modified: string }) => r.modified);
    assert.deepEqual([...updated].sort().reverse(), updated);
    await t.db('pub_datasets').where({ slug: 'bus-stops' }).update({ download_count: 500 });
    assert.equal(slugs(await search('sort=downloads'))[0], 'bus-stops');
  });

  test('pagination: pages, links and edges', async () => {
    const p1 = await search('per_page=5&sort=title');
    const pages = Math.ceil(demoCatalogue.publicDatasets / 5);
    assert.equal(p1.pages, pages);
    assert.equal(p1.results.length, 5);
    assert.equal(p1.links.prev, null);
    assert.match(p1.links.next, /page=2/);
    const last = await search(`per_page=5&sort=title&page=${pages}`);
    assert.equal(last.results.length, demoCatalogue.publicDatasets - 5 * (pages - 1));
    assert.equal(last.links.next, null);
    const past = await search(`per_page=5&sort=title&page=${pages + 1}`);
    assert.equal(past.results.length, 0, 'past the end: empty, not an error');
    const seen = new Set<string>();
    for (let p = 1; p <= pages; p++) for (const s of slugs(await search(`per_page=5&sort=title&page=${p}`))) seen.add(s);
    assert.equal(seen.size, demoCatalogue.publicDatasets, 'pages do not overlap or skip');
    const html = await request(t.app).get('/datasets?per_page=5&sort=title&page=2').expect(200);
    assert.match(html.text, /class="govuk-pagination"/);
    assert.match(html.text, /aria-current="page">2</);
    assert.match(html.text, /rel="next"/);
    assert.match(html.text, /rel="prev"/);
  });

  test('bad parameters are a 400 that names the parameter', async () => {
    for (const [qs, name] of [
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=abc', 'page'],
      ['page=1.5', 'page'],
      ['page=99999999', 'page'],
      ['per_page=1000', 'per_page'],
      ['sort=random', 'sort'],
      ['q=' + 'x'.repeat(501), 'q'],
    ] as const) {
      const res = await request(t.app).get(`/datasets.json?${qs}`).expect(400);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, new RegExp(`"${name}"`));
      const html = await request(t.app).get(`/datasets?${qs}`).expect(400).expect('Content-Type', /html/);
      assert.match(html.text, new RegExp(`&#34;${name}&#34;`));
      assert.match(html.text, /class="govuk-error-summary"/);
      assert.match(html.text, new RegExp(`<li>${name}: `));
    }
  });

  test('SQL and FTS metacharacters are plain text, never syntax', async () => {
    for (const q of ["'; DROP TABLE pub_datasets; --", '" OR 1=1 --', 'air* NEAR(quality)', 'title:air', '(air OR quality) AND NOT', '\\', "O'Brien", 'a"b', 'NULL', '%00']) {
      const res = await request(t.app).get('/datasets.json').query({ q }).expect(200);
      assert.equal(typeof res.body.total, 'number');
    }
    assert.equal((await search('')).total, demoCatalogue.publicDatasets, 'nothing was dropped');
  });

  test('% and _ are not wildcards', async () => {
    for (const q of ['%', '_', '%%', '_%_']) {
      const res = await request(t.app).get('/datasets.json').query({ q }).expect(200);
      assert.equal(res.body.total, 0);
      assert.equal(res.body.searchable, false);
    }
    const html = await request(t.app).get('/datasets').query({ q: '%' }).expect(200);
    assert.match(html.text, /did not contain any words/);
    assert.equal((await request(t.app).get('/datasets.json').query({ q: 'air%' }).expect(200)).body.total, 2 + demoCatalogue.streams.airQuality.length);
  });

  test('a 1 MB query is refused with a 4xx, never a 5xx', async () => {
    const huge = 'a'.repeat(1024 * 1024);
    const res = await request(t.app).get(`/datasets.json?q=${huge}`);
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    const res2 = await request(t.app).get(`/datasets?q=${'b'.repeat(5000)}`);
    assert.equal(res2.status, 414);
  });

  test('too many parameters are refused', async () => {
    const qs = Array.from({ length: 150 }, (_, i) => `k${i}=1`).join('&');
    const res = await request(t.app).get(`/datasets.json?${qs}`).expect(400);
    assert.match(res.body.error.message, /more than 100 query parameters/);
  });

  test('publisher and theme pages list their datasets with facets', async () => {
    const pub = (await request(t.app).get('/publishers/transport-and-highways.json').expect(200)).body;
    assert.equal(pub.total, 5 + demoCatalogue.streams.carParks.length);
    assert.ok(pub.results.every((r: { publisher: { slug: string } }) => r.publisher.slug === 'transport-and-highways'));
    const theme = (await request(t.app).get('/themes/environment.json?q=air').expect(200)).body;
    assert.equal(theme.total, 2 + demoCatalogue.streams.airQuality.length);
  });
});

describe('search freshness', () => {
  test('a newly published dataset is found at once, although results are cached', async () => {
    assert.equal((await search('q=zebra')).total, 0);
    assert.equal((await search('q=zebra')).total, 0);
    const publisher = await t.db('publishers').first('id');
    const id = await insertDataset(t.db, datasetInput({ slug: 'zebra-crossings', title: 'Zebra crossings', summary: 'Every zebra crossing', publisherId: publisher.id, updateFrequency: 'annual' }));
    await publishRelease(t.db, { datasetId: id, columns: [{ name: 'id', type: 'integer' }], batches: [[[1]]], actor: 'system' });
    assert.deepEqual(slugs(await search('q=zebra')), ['zebra-crossings']);
  });
});

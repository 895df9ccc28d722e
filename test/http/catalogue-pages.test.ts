import { insertDataset } from '../../src/catalogue/dataset.repository';
import { datasetInput } from '../helpers/datasets';
import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

describe('public pages and their JSON twins', () => {
  const pages: Array<[string, string, RegExp]> = [
    ['/', '/index.json', /Find open data about Anytown/],
    ['/datasets', '/datasets.json', /<h1 class="govuk-heading-xl">Datasets<\/h1>/],
    ['/datasets/air-quality-hourly', '/datasets/air-quality-hourly.json', /Hourly air quality/],
    ['/datasets/air-quality-hourly/releases/1', '/datasets/air-quality-hourly/releases/1.json', /Version 1/],
    ['/publishers', '/publishers.json', /Environmental Health/],
    ['/publishers/environmental-health', '/publishers/environmental-health.json', /Environmental Health/],
    ['/themes', '/themes.json', /Transport/],
    ['/themes/transport', '/themes/transport.json', /Transport/],
    ['/about/privacy', '/about/privacy.json', /How we protect personal data/],
  ];
  for (const [html, json, content] of pages) {
    test(`${html} renders and ${json} answers JSON`, async () => {
      const page = await request(t.app).get(html).expect(200).expect('Content-Type', /text\/html/);
      assert.match(page.text, content);
      assert.match(page.text, /<html lang="en"/);
      assert.match(page.text, new RegExp(`<link rel="alternate" type="application/json" href="${json.replace(/\./g, '\\.')}`));
      const twin = await request(t.app).get(json).expect(200).expect('Content-Type', /application\/json/);
      assert.equal(typeof twin.body, 'object');
    });
  }

  test('home shows counts, themes and recently updated datasets', async () => {
    const res = await request(t.app).get('/index.json').expect(200);
    assert.equal(res.body.counts.datasets, demoCatalogue.publicDatasets);
    assert.ok(res.body.counts.publishers >= 4);
    assert.ok(res.body.themes.filter((th: { datasetCount: number }) => th.datasetCount > 0).length >= 5);
    assert.equal(res.body.recentlyUpdated.length, 6);
    assert.match(res.body.recentlyUpdated[0].url, /^http:\/\/plaza\.test\/datasets\//);
  });

  test('dataset page shows metadata, licence, publisher, contact, schema, preview and downloads', async () => {
    const res = await request(t.app).get('/datasets/air-quality-hourly').expect(200);
    for (const text of ['Open Government Licence v3.0', 'Environmental Health', 'opendata@anytown.example.gov.uk', 'pm25', 'µg/m³', 'Download CSV', 'First 10 of 14,880 rows', 'Version 1']) {
      assert.ok(res.text.includes(text), `page should include ${text}`);
    }
    assert.match(res.text, /<strong>PM2\.5<\/strong>/, 'Markdown description is rendered');
    const json = (await request(t.app).get('/datasets/air-quality-hourly.json').expect(200)).body;
    assert.equal(json.licence.id, 'OGL-UK-3.0');
    assert.equal(json.latestRelease.rows, 14880);
    assert.match(json.latestRelease.checksum.value, /^[0-9a-f]{64}$/);
    assert.deepEqual(json.preview.columns, ['sensor_id', 'timestamp', 'pm25', 'pm10', 'no2']);
    assert.equal(json.preview.rows.length, 10);
    assert.equal(json.latestRelease.schema.fields[2].unit, 'µg/m³');
    assert.equal(json.latestRelease.distributions.csv, 'http://plaza.test/datasets/air-quality-hourly/releases/1/data.csv');
  });

  test('restricted datasets appear only as their protected release or a description; unpublished datasets are not found', async () => {
    for (const slug of demoCatalogue.protectedSlugs) {
      const html = await request(t.app).get(`/datasets/${slug}`).expect(200);
      assert.match(html.text, /How this data was protected/);
      const json = (await request(t.app).get(`/datasets/${slug}.json`).expect(200)).body;
      const fields = json.latestRelease.schema.fields.map((f: { name: string }) => f.name);
      for (const raw of ['claimant_name', 'claim_ref', 'date_of_birth', 'nhs_number', 'person_id', 'household_id', 'mpan']) assert.ok(!fields.includes(raw), `${slug} publishes ${raw}`);
    }
    const register = await request(t.app).get(`/datasets/${demoCatalogue.descriptionOnlySlug}`).expect(200);
    assert.match(register.text, /information\.governance@anytown/);
    assert.doesNotMatch(register.text, /data\.csv/);
    const id = await t.db.transaction((trx) => insertDataset(trx, datasetInput({ slug: 'never-published-draft', publisherId: 1 })));
    assert.ok(id > 0);
    const html = await request(t.app).get('/datasets/never-published-draft').expect(404);
    assert.match(html.text, /Page not found/);
    const json = await request(t.app).get('/datasets/never-published-draft.json').expect(404);
    assert.deepEqual(json.body.error, { code: 'not_found', message: 'Dataset not found' });
    assert.equal(json.body.status, 404);
  });

  test('unknown pages get a proper 404 page, JSON for .json and /api', async () => {
    const html = await request(t.app).get('/no/such/page').expect(404).expect('Content-Type', /html/);
    assert.match(html.text, /Page not found/);
    assert.match(html.text, /Reference: <span class="plaza-monospace">[0-9a-f-]{36}<\/span>/);
    const json = await request(t.app).get('/api/v1/nothing-here').expect(404).expect('Content-Type', /json/);
    assert.equal(json.body.error.code, 'not_found');
    await request(t.app).get('/datasets/air-quality-hourly/releases/99').expect(404);
    await request(t.app).get('/datasets/air-quality-hourly/releases/abc.json').expect(404);
    await request(t.app).get('/publishers/nobody').expect(404);
    await request(t.app).get('/themes/NOT_A_SLUG').expect(404);
  });

  test('pages carry a request id and link govuk-frontend assets from our own origin', async () => {
    const res = await request(t.app).get('/').expect(200);
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.match(res.text, /href="\/stylesheets\/govuk-frontend\.min\.css"/);
    assert.match(res.text, /<script type="module" src="\/public\/app\.js"><\/script>/);
    assert.doesNotMatch(res.text, /https?:\/\/(?!plaza\.test|www\.nationalarchives|creativecommons|opendatacommons)[a-z0-9.-]+\/[^"]*\.(css|js)/);
    await request(t.app).get('/stylesheets/govuk-frontend.min.css').expect(200).expect('Content-Type', /css/);
    await request(t.app).get('/javascripts/govuk-frontend.min.js').expect(200).expect('Content-Type', /javascript/);
    await request(t.app).get('/public/app.js').expect(200);
    await request(t.app).get('/public/app.css').expect(200);
    const css = await request(t.app).get('/stylesheets/govuk-frontend.min.css');
    const font = /url\((\/assets\/fonts\/[^)]+)\)/.exec(css.text);
    assert.ok(font);
    await request(t.app).get(font[1]).expect(200);
  });

  test('every page works without JavaScript: forms are plain GET forms with labels', async () => {
    const res = await request(t.app).get('/datasets?q=air').expect(200);
    assert.match(res.text, /<form action="\/datasets" method="get" role="search"/);
    assert.match(res.text, /<label class="govuk-label govuk-label--m" for="search-q">/);
    assert.match(res.text, /<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Theme<\/legend>/);
    assert.doesNotMatch(res.text, /<script(?! type="module" src="\/public\/app\.js")/);
  });
});

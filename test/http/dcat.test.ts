import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Parser, Store } from 'n3';
import request from 'supertest';
import { projectRoot } from '../../src/paths';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { publishTestDataset } from './download-fixtures';

/** DCAT-AP 3 feeds checked against the official SHACL shapes in ../shared/data/dcat-ap. */

const shapesDir = path.resolve(projectRoot, '../shared/data/dcat-ap');
const SH = 'http://www.w3.org/ns/shacl#';

function storeOf(turtle: string): Store {
  const store = new Store();
  store.addQuads(new Parser().parse(turtle));
  return store;
}

function shapes(file: string): Store {
  return storeOf(fs.readFileSync(path.join(shapesDir, file), 'utf8'));
}

interface Finding {
  severity: string;
  path: string;
  focus: string;
  message: string;
}

async function validate(data: Store, shapeStore: Store): Promise<Finding[]> {
  // rdf-validate-shacl is an ES module; this test file is CommonJS.
  const { default: SHACLValidator } = await import('rdf-validate-shacl');
  const validator = new SHACLValidator(shapeStore);
  const report = await validator.validate(data);
  return report.results.map((r) => ({
    severity: String(r.severity?.value ?? '').replace(SH, ''),
    path: String(r.path?.value ?? ''),
    focus: String(r.focusNode?.value ?? ''),
    message: r.message.map((m) => m.value).join('; '),
  }));
}

describe('DCAT-AP 3 feeds', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    // A protected release, so provenance and derivation are exercised too.
    await publishTestDataset(t.db, 'protected-counts', [{ name: 'ward', type: 'string' }, { name: 'count', type: 'integer' }], [[['Abbey', 15], ['Castle', 20]]], {
      level: 'personal',
      statement: 'Counts under 10 hidden; counts rounded to the nearest 5.',
    });
  });
  after(async () => {
    await t.close();
  });

  test('/catalog.ttl has zero violations of the mandatory shapes (and the class ranges); recommended warnings are counted', async () => {
    const res = await request(t.app).get('/catalog.ttl');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/turtle/);
    const data = storeOf(res.text);
    const mandatory = await validate(data, shapes('dcat-ap-3.0.1-mandatory.ttl'));
    const violations = mandatory.filter((f) => f.severity === 'Violation');
    assert.deepEqual(violations, [], 'mandatory-shape violations');
    const ranges = await validate(data, shapes('dcat-ap-3.0.1-ranges.ttl'));
    assert.deepEqual(ranges.filter((f) => f.severity === 'Violation'), [], 'range violations');
    const recommended = await validate(data, shapes('dcat-ap-3.0.1-recommended.ttl'));
    const warnings = recommended.filter((f) => f.severity === 'Warning');
    assert.deepEqual(recommended.filter((f) => f.severity === 'Violation'), []);
    const byPath = new Map<string, number>();
    for (const w of warnings) byPath.set(w.path, (byPath.get(w.path) ?? 0) + 1);
    console.log(`DCAT-AP recommended-shape warnings: ${warnings.length}`, Object.fromEntries(byPath));
    // Remaining warnings are honest gaps (no geometry for places, no time span for some data): see docs/api.md.
    assert.ok(warnings.length <= 3 * (demoCatalogue.publicDatasets + 2), `${warnings.length} recommended-shape warnings`);
  });

  test('every distribution has access and download URLs, an EU file type, licence, dates; the CSV a size and SPDX checksum', async () => {
    const data = storeOf((await request(t.app).get('/catalog.ttl')).text);
    const dcat = 'http://www.w3.org/ns/dcat#';
    const dct = 'http://purl.org/dc/terms/';
    const dists = data.getSubjects('http://www.w3.org/1999/02/22-rdf-syntax-ns#type', dcat + 'Distribution', null);
    assert.equal(dists.length, (demoCatalogue.datasetsWithData + 1) * 3);
    for (const d of dists) {
      for (const p of [dcat + 'accessURL', dcat + 'downloadURL', dct + 'format', dct + 'license', dct + 'issued', dct + 'modified']) {
        assert.equal(data.getObjects(d, p, null).length, 1, `${d.value} ${p}`);
      }
      assert.match(data.getObjects(d, dct + 'format', null)[0].value, /^http:\/\/publications\.europa\.eu\/resource\/authority\/file-type\/(CSV|JSON)$/);
      if (d.value.endsWith('#csv')) {
        assert.equal(data.getObjects(d, dcat + 'byteSize', null).length, 1);
        const checksum = data.getObjects(d, 'http://spdx.org/rdf/terms#checksum', null)[0];
        assert.match(data.getObjects(checksum, 'http://spdx.org/rdf/terms#checksumValue', null)[0].value, /^[0-9a-f]{64}$/);
      }
    }
    const protectedDs = 'http://plaza.test/datasets/protected-counts';
    const provenance = data.getObjects(protectedDs, dct + 'provenance', null)[0];
    assert.match(data.getObjects(provenance, 'http://www.w3.org/2000/01/rdf-schema#label', null)[0].value, /Counts under 10 hidden/);
    assert.equal(data.getObjects(protectedDs, 'http://www.w3.org/ns/prov#wasDerivedFrom', null).length, 1);
    assert.equal(data.getObjects('http://plaza.test/datasets/car-parks', dct + 'provenance', null).length, 0);
  });

  test('/catalog.jsonld carries the same triples as /catalog.ttl', async () => {
    const ttl = storeOf((await request(t.app).get('/catalog.ttl')).text);
    const res = await request(t.app).get('/catalog.jsonld');
    assert.match(String(res.headers['content-type']), /^application\/ld\+json/);
    const doc = res.body as { '@context': Record<string, string>; '@graph': Array<Record<string, unknown>> };
    const expand = (v: string) => {
      const m = /^([a-z]+):(.*)$/.exec(v);
      return m && doc['@context'][m[1]] ? doc['@context'][m[1]] + m[2] : v;
    };
    let count = 0;
    for (const node of doc['@graph']) {
      for (const [k, vs] of Object.entries(node)) {
        if (k === '@id') continue;
        count += (vs as unknown[]).length;
        if (k === '@type') {
          for (const ty of vs as string[]) if (!String(node['@id']).startsWith('_:')) assert.ok(ttl.has(ttl.getQuads(node['@id'] as string, 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type', expand(ty), null)[0]), `${node['@id']} a ${ty}`);
        }
      }
    }
    assert.equal(count, ttl.size);
  });

  test('/datasets/:slug.ttl describes one dataset; the .json twin is untouched; unknown slugs 404', async () => {
    const res = await request(t.app).get('/datasets/car-parks.ttl');
    assert.equal(res.status, 200);
    const data = storeOf(res.text);
    assert.equal(data.getSubjects('http://www.w3.org/1999/02/22-rdf-syntax-ns#type', 'http://www.w3.org/ns/dcat#Dataset', null).length, 1);
    const mandatory = await validate(data, shapes('dcat-ap-3.0.1-mandatory.ttl'));
    assert.deepEqual(mandatory.filter((f) => f.severity === 'Violation'), []);
    const json = await request(t.app).get('/datasets/car-parks.json');
    assert.equal(json.status, 200);
    assert.equal(json.body.slug, 'car-parks');
    assert.equal((await request(t.app).get('/datasets/nope.ttl')).status, 404);
  });

  test('the catalogue is paged with hydra links when it is large', async () => {
    const res = await request(t.app).get('/catalog.ttl?page=2');
    assert.equal(res.status, 404, 'only one page for the demo city');
    const bad = await request(t.app).get('/catalog.jsonld?page=zero');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /"page"/);
  });
});

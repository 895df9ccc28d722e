import { demoCatalogue } from '../helpers/demo';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Ajv from 'ajv-draft-04';
import request from 'supertest';
import { getDatasetById } from '../../src/catalogue/dataset.repository';
import { accessLevelOf } from '../../src/feeds/data-json';
import { projectRoot } from '../../src/paths';
import { writePublicSnapshot } from '../../src/publishing/publication.repository';
import { createTestApp, type TestApp } from '../helpers/test-app';

/** /data.json validated with ajv-draft-04 against the Project Open Data 1.1 schemas in ../shared/data/pod-v1.1. */

const schemaDir = path.resolve(projectRoot, '../shared/data/pod-v1.1');
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8')) as Record<string, unknown>;

describe('/data.json (Project Open Data 1.1)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    // The confidential case register is a metadata-only catalogue entry (the seed lists it; writing it again changes nothing).
    const id = (await t.db('datasets').where({ slug: 'community-safety-case-register' }).first('id')).id as number;
    const d = (await getDatasetById(t.db, id))!;
    await t.db.transaction((trx) => writePublicSnapshot(trx, d, { latestReleaseId: null, metadataOnly: true, formats: [], publishedAt: new Date().toISOString() }));
  });
  after(async () => {
    await t.close();
  });

  test('validates against catalog.json', async () => {
    const res = await request(t.app).get('/data.json');
    assert.equal(res.status, 200);
    const ajv = new Ajv({ unicodeRegExp: false, allErrors: true, validateFormats: false });
    for (const f of ['vcard.json', 'organization.json', 'distribution.json', 'dataset.json']) ajv.addSchema(load(f));
    const validate = ajv.compile(load('catalog.json'));
    const ok = validate(res.body);
    assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    assert.equal(res.body.dataset.length, demoCatalogue.publicDatasets);
  });

  test('accessLevel follows the sensitivity level; confidential metadata-only entries are non-public', async () => {
    const res = await request(t.app).get('/data.json');
    const byId = new Map((res.body.dataset as Array<Record<string, unknown>>).map((d) => [String(d.identifier).split('/').pop(), d]));
    const confidential = byId.get('community-safety-case-register')!;
    assert.equal(confidential.accessLevel, 'non-public');
    assert.match(String(confidential.rights), /confidential/);
    assert.equal(confidential.distribution, undefined);
    const open = byId.get('car-parks')!;
    assert.equal(open.accessLevel, 'public');
    const dists = open.distribution as Array<Record<string, string>>;
    assert.deepEqual(dists.map((x) => x.mediaType), ['text/csv', 'application/json', 'application/x-ndjson']);
    assert.match(dists[0].downloadURL, /^http:\/\/plaza\.test\/datasets\/car-parks\/releases\/\d+\/data\.csv$/);
    assert.equal(accessLevelOf({ sensitivityLevel: 'personal', metadataOnly: false }), 'public');
    assert.equal(accessLevelOf({ sensitivityLevel: 'confidential', metadataOnly: true }), 'non-public');
  });
});

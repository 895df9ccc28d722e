import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { insertDataset } from '../../src/catalogue/dataset.repository';
import { getPublicDataset } from '../../src/catalogue/public-catalogue.repository';
import { createPublisher } from '../../src/catalogue/reference.repository';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { iterateRows } from '../../src/db/data-table';
import { csvHeader, csvLine } from '../../src/downloads/csv';
import { publishRelease } from '../../src/publishing/publish.service';
import * as withdrawal from '../../src/publishing/withdraw.service';
import { createTestDb, type TestDb } from '../helpers/test-db';
import { datasetInput } from '../helpers/datasets';

let t: TestDb;
let datasetId: number;
const columns: ColumnSchema[] = [
  { name: 'site', type: 'string' },
  { name: 'count', type: 'integer' },
  { name: 'share', type: 'number' },
  { name: 'open', type: 'boolean' },
  { name: 'day', type: 'date' },
];
const rows: CellValue[][] = [
  ['North, "A"', 12, 0.25, true, '2026-10-01'],
  ['=HYPERLINK("x")', 0, -1.5, false, null],
  ['Line\nbreak', null, 3, null, '2026-10-03'],
];

async function counts() {
  const n = async (table: string) => Number((await t.db(table).count({ n: '*' }))[0].n);
  return { releases: await n('releases'), pub: await n('pub_releases'), audit: await n('audit_log'), pubDatasets: await n('pub_datasets') };
}

before(async () => {
  t = await createTestDb();
  const publisher = await createPublisher(t.db, { slug: 'p', name: 'P' });
  datasetId = await insertDataset(t.db, datasetInput({ slug: 'counts', title: 'Counts', summary: 's', description: 'd', publisherId: publisher.id, updateFrequency: 'daily', keywords: ['x'] }));
});
after(() => t.destroy());

describe('atomic publishing', () => {
  test('a failure part-way through leaves no trace', async () => {
    const before = await counts();
    async function* failing() {
      yield rows;
      throw new Error('disk on fire');
    }
    await assert.rejects(publishRelease(t.db, { datasetId, columns, batches: failing(), actor: 'system' }), /disk on fire/);
    assert.deepEqual(await counts(), before);
    assert.equal(await getPublicDataset(t.db, 'counts'), undefined);
    assert.equal(await t.db.schema.hasTable('rel_1'), false);
  });

  test('publishing stores the rows typed, with the SHA-256 of the canonical CSV, and a chained audit entry', async () => {
    const result = await publishRelease(t.db, { datasetId, columns, batches: [rows], actor: 'system', notes: 'first' });
    assert.equal(result.version, 1);
    assert.equal(result.rowCount, 3);
    const csv = csvHeader(columns) + rows.map((r) => csvLine(r, columns)).join('');
    assert.equal(result.checksum, crypto.createHash('sha256').update(csv).digest('hex'));
    assert.equal(result.byteSize, Buffer.byteLength(csv));
    assert.match(csv, /^site,count,share,open,day\r\n"North, ""A""",12,0.25,true,2026-10-01\r\n/);
    assert.match(csv, /'=HYPERLINK\(""x""\)/, 'formula cells are neutralised');
    const stored: CellValue[][] = [];
    for await (const batch of iterateRows(t.db, result.tableName, columns, 2)) stored.push(...batch);
    assert.deepEqual(stored, rows);
    const pub = await getPublicDataset(t.db, 'counts');
    assert.equal(pub?.releases[0].checksum, result.checksum);
    assert.deepEqual(pub?.formats, ['CSV', 'JSON', 'NDJSON']);
    const entry = await t.db('audit_log').orderBy('seq', 'desc').first();
    assert.equal(entry.action, 'release.published');
    assert.equal(JSON.parse(entry.details).checksum, result.checksum);
  });

  test('a new version supersedes the previous one, which stays listed', async () => {
    const second = await publishRelease(t.db, { datasetId, columns, batches: [[rows[0]]], actor: 'system' });
    assert.equal(second.version, 2);
    const pub = await getPublicDataset(t.db, 'counts');
    assert.deepEqual(
      pub?.releases.map((r) => [r.version, r.status]),
      [
        [2, 'published'],
        [1, 'superseded'],
      ],
    );
    const states = await t.db('releases').where({ dataset_id: datasetId }).orderBy('version').pluck('state');
    assert.deepEqual(states, ['superseded', 'published']);
  });

  test('duplicate column names and empty schemas are refused before anything is written', async () => {
    await assert.rejects(publishRelease(t.db, { datasetId, columns: [], batches: [], actor: 'system' }), /at least one column/);
    await assert.rejects(
      publishRelease(t.db, { datasetId, columns: [columns[0], columns[0]], batches: [], actor: 'system' }),
      /appears twice/,
    );
  });

  test('concurrent publishes of one dataset get distinct versions', async () => {
    const results = await Promise.all([1, 2, 3].map(() => publishRelease(t.db, { datasetId, columns, batches: [rows], actor: 'system' })));
    assert.deepEqual(results.map((r) => r.version).sort(), [3, 4, 5]);
    const live = await t.db('pub_releases').where({ dataset_id: datasetId, status: 'published' });
    assert.equal(live.length, 1);
  });
});

describe('withdrawal and description-only entries', () => {
  test('withdrawing needs a reason, keeps the record and history, and is audited', async () => {
    const { withdrawRelease } = withdrawal;
    const latest = (await getPublicDataset(t.db, 'counts'))!.releases[0];
    await assert.rejects(withdrawRelease(t.db, { datasetId, version: latest.version, reason: 'oops', actor: 'user:1' }), /Give a reason/);
    await withdrawRelease(t.db, { datasetId, version: latest.version, reason: 'Ward totals were double counted', actor: 'user:1' });
    const pub = (await getPublicDataset(t.db, 'counts'))!;
    const w = pub.releases.find((r) => r.version === latest.version)!;
    assert.equal(w.status, 'withdrawn');
    assert.equal(w.withdrawnReason, 'Ward totals were double counted');
    assert.equal(pub.releases.length, 5, 'history stays');
    await assert.rejects(withdrawRelease(t.db, { datasetId, version: latest.version, reason: 'Ward totals were double counted', actor: 'user:1' }), /cannot be withdrawn/);
    await assert.rejects(withdrawRelease(t.db, { datasetId, version: 99, reason: 'Ward totals were double counted', actor: 'user:1' }), /Release not found/);
    const entry = await t.db('audit_log').orderBy('seq', 'desc').first();
    assert.equal(entry.action, 'release.withdrawn');
  });

  test('a confidential dataset can be listed as a description only, with no data', async () => {
    const publisher = await t.db('publishers').first('id');
    const id = await insertDataset(t.db, datasetInput({ slug: 'case-files', title: 'Case files', summary: 'Casework', description: 'Confidential.', publisherId: publisher.id, licenceId: 'other-closed', updateFrequency: 'never', sensitivityLevel: 'confidential', listMetadataOnly: true, accessRequest: 'Write to the DPO.' }));
    await withdrawal.publishMetadataOnly(t.db, { datasetId: id, actor: 'user:1' });
    const pub = (await getPublicDataset(t.db, 'case-files'))!;
    assert.equal(pub.metadataOnly, true);
    assert.deepEqual(pub.releases, []);
    assert.deepEqual(pub.formats, []);
    assert.equal(pub.accessRequest, 'Write to the DPO.');
  });

  test('only a confidential dataset marked to be listed is listed as a description only', async () => {
    const publisher = await t.db('publishers').first('id');
    const common = { summary: 'S', description: 'D', publisherId: publisher.id, updateFrequency: 'never', accessRequest: 'Ask.' } as const;
    const open = await insertDataset(t.db, datasetInput({ ...common, slug: 'open-list', title: 'Open list', sensitivityLevel: 'public', listMetadataOnly: true }));
    await assert.rejects(withdrawal.publishMetadataOnly(t.db, { datasetId: open, actor: 'user:1' }), /Only confidential datasets are listed as a description only/);
    const unmarked = await insertDataset(t.db, datasetInput({ ...common, slug: 'unmarked-cases', title: 'Unmarked cases', sensitivityLevel: 'confidential', listMetadataOnly: false }));
    await assert.rejects(withdrawal.publishMetadataOnly(t.db, { datasetId: unmarked, actor: 'user:1' }), /not marked to be listed/);
    assert.equal(await getPublicDataset(t.db, 'open-list'), undefined);
    assert.equal(await getPublicDataset(t.db, 'unmarked-cases'), undefined);
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import type { PublicRelease } from '../../src/catalogue/catalogue.types';
import { getPublicDataset } from '../../src/catalogue/public-catalogue.repository';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { iterateRows } from '../../src/db/data-table';
import { downloadEvents, downloadTuning, type DownloadOutcome } from '../../src/downloads/download.service';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { publishTestDataset } from './download-fixtures';

/** What a CSV reader sees in a cell: the canonical writer's text, unquoted. */
function csvText(v: CellValue, c: ColumnSchema): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return c.type === 'string' && /^[=+\-@\t\r\n\0]/.test(v) ? "'" + v : v;
}

async function allRows(t: TestApp, r: PublicRelease): Promise<CellValue[][]> {
  const out: CellValue[][] = [];
  for await (const batch of iterateRows(t.db, r.tableName, r.columns)) out.push(...batch);
  return out;
}

const slugs = [
  'air-quality-sensor-sites',
  'air-quality-hourly',
  'car-parks',
  'car-park-occupancy',
  'bus-stops',
  'council-spending-over-500',
  'recycling-rates-by-ward',
  'street-lighting-energy',
  'ev-charge-points',
  'traffic-counts',
  'library-visits',
  'wards',
  'public-toilets',
];

/** A supertest body parser that keeps the raw bytes. */
const binary = (res: unknown, cb: (err: Error | null, body: Buffer) => void) => {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('downloads', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => {
    await t.close();
  });

  test('data.csv with no parameters is exactly the checksummed canonical CSV, for every demo release', async () => {
    for (const slug of slugs) {
      const d = (await getPublicDataset(t.db, slug))!;
      const r = d.releases[0];
      const res = await request(t.app).get(`/datasets/${slug}/releases/${r.version}/data.csv`).set('Accept-Encoding', 'identity').buffer(true).parse(binary);
      assert.equal(res.status, 200, slug);
      const body = res.body as Buffer;
      assert.equal(crypto.createHash('sha256').update(body).digest('hex'), r.checksum, slug);
      assert.equal(body.length, r.byteSize, slug);
      assert.equal(res.headers['content-length'], String(r.byteSize));
      assert.equal(res.headers.etag, `"${r.checksum}"`);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(res.headers['content-disposition'], `attachment; filename="${slug}-v${r.version}.csv"`);
      assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    }
  });

  test("client's eye: CSV, JSON and NDJSON read back with independent parsers equal the release", async () => {
    for (const slug of ['car-parks', 'council-spending-over-500', 'air-quality-hourly', 'public-toilets']) {
      const d = (await getPublicDataset(t.db, slug))!;
      const r = d.releases[0];
      const rows = await allRows(t, r);
      assert.equal(rows.length, r.rowCount);
      const csv = await request(t.app).get(`/datasets/${slug}/releases/${r.version}/data.csv`);
      const parsed = parse(csv.text, { columns: false, bom: true }) as string[][];
      assert.deepEqual(parsed[0], r.columns.map((c) => c.name));
      assert.deepEqual(parsed.slice(1), rows.map((row) => row.map((v, i) => csvText(v, r.columns[i]))), slug);

      const json = await request(t.app).get(`/datasets/${slug}/releases/${r.version}/data.json`);
      assert.equal(json.status, 200);
      const expected = rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
      assert.deepEqual(JSON.parse(json.text), expected, slug);

      const nd = await request(t.app).get(`/datasets/${slug}/releases/${r.version}/data.ndjson`).buffer(true).parse(binary);
      assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/);
      const lines = (nd.body as Buffer).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines, expected, slug);
    }
  });

  test('columns, filters, sort and limit shape the rows; the ETag follows the parameters', async () => {
    const d = (await getPublicDataset(t.db, 'car-parks'))!;
    const r = d.releases[0];
    const rows = await allRows(t, r);
    const idx = (n: string) => r.columns.findIndex((c) => c.name === n);
    const cap = idx('capacity');
    const name = idx('name');
    const base = `/datasets/car-parks/releases/${r.version}/data.json`;

    const res = await request(t.app).get(`${base}?columns=name,capacity&capacity__gte=300&sort=-capacity&limit=3`);
    assert.equal(res.status, 200);
    const expected = rows
      .filter((row) => (row[cap] as number) >= 300)
      .sort((a, b) => (b[cap] as number) - (a[cap] as number))
      .slice(0, 3)
      .map((row) => ({ name: row[name], capacity: row[cap] }));
    assert.deepEqual(JSON.parse(res.text), expected);
    assert.notEqual(res.headers.etag, `"${r.checksum}"`);
    assert.match(String(res.headers.etag), /^"[0-9a-f]{64}"$/);
    const again = await request(t.app).get(`${base}?limit=3&sort=-capacity&capacity__gte=300&columns=name,capacity`);
    assert.equal(again.headers.etag, res.headers.etag, 'normalised parameters give the same ETag');

    const first = rows[0];
    const eq = await request(t.app).get(`${base}?name=${encodeURIComponent(String(first[name]))}`);
    assert.deepEqual(
      (JSON.parse(eq.text) as Array<Record<string, unknown>>).map((o) => o.name),
      rows.filter((row) => row[name] === first[name]).map((row) => row[name]),
    );
    const contains = await request(t.app).get(`${base}?name__contains=${encodeURIComponent(String(first[name]).slice(1, 4).toUpperCase())}&columns=name`);
    assert.ok((JSON.parse(contains.text) as unknown[]).length >= 1, 'contains is case-insensitive');
    const inList = await request(t.app).get(`${base}?capacity__in=${rows[0][cap]},${rows[1][cap]}&columns=capacity`);
    assert.ok((JSON.parse(inList.text) as unknown[]).length >= 2);
    const csv = await request(t.app).get(`/datasets/car-parks/releases/${r.version}/data.csv?columns=capacity,name&limit=2&bom=1`);
    assert.ok(csv.text.startsWith('\uFEFFcapacity,name\r\n'));
    assert.equal(csv.text.split('\r\n').length, 4);
    assert.equal(csv.headers['content-length'], undefined);
    const sortedAsc = await request(t.app).get(`${base}?sort=name&columns=name`);
    const names = (JSON.parse(sortedAsc.text) as Array<{ name: string }>).map((o) => o.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  test('an unknown column or a bad value is a 400 naming it', async () => {
    const base = '/datasets/car-parks/releases/1/data.csv';
    const unknown = await request(t.app).get(`${base}?colour=red`);
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /"colour"/);
    const badValue = await request(t.app).get(`${base}?capacity__gt=lots`);
    assert.equal(badValue.status, 400);
    assert.match(badValue.body.error.message, /"capacity__gt".*whole number/);
    const badColumns = await request(t.app).get(`${base}?columns=name,nope`);
    assert.equal(badColumns.status, 400);
    assert.match(badColumns.body.error.message, /"columns".*"nope"/);
    const badSort = await request(t.app).get(`${base}?sort=-nope`);
    assert.match(badSort.body.error.message, /"sort"/);
    const badLimit = await request(t.app).get(`${base}?limit=-1`);
    assert.equal(badLimit.status, 400);
    const badOp = await request(t.app).get(`${base}?capacity__contains=1`);
    assert.equal(badOp.status, 400);
    assert.match(badOp.body.error.message, /"capacity__contains"/);
    const missing = await request(t.app).get('/datasets/car-parks/releases/99/data.csv');
    assert.equal(missing.status, 404);
  });

  test('304 on If-None-Match, HEAD without a body, gzip when accepted', async () => {
    const r = (await getPublicDataset(t.db, 'wards'))!.releases[0];
    const url = `/datasets/wards/releases/${r.version}/data.csv`;
    const notModified = await request(t.app).get(url).set('If-None-Match', `"${r.checksum}"`);
    assert.equal(notModified.status, 304);
    assert.equal(notModified.text, '');
    assert.equal(notModified.headers.etag, `"${r.checksum}"`);

    const head = await request(t.app).head(url).set('Accept-Encoding', 'identity');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(r.byteSize));
    assert.equal(head.headers.etag, `"${r.checksum}"`);
    assert.equal(head.text, undefined);

    const plain = await request(t.app).get(url).buffer(true).parse(binary);
    const gz = await request(t.app).get(url).set('Accept-Encoding', 'gzip').buffer(true).parse(binary);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(String(gz.headers.vary), /Accept-Encoding/);
    assert.equal(gz.headers.etag, `"${r.checksum}"`, 'the ETag names the content whatever the coding');
    // supertest transparently gunzips; check the bytes are the canonical file.
    assert.equal(crypto.createHash('sha256').update(gz.body as Buffer).digest('hex'), r.checksum);
    assert.deepEqual(gz.body, plain.body);
    const revalidate = await request(t.app).get(url).set('Accept-Encoding', 'gzip').set('If-None-Match', `"${r.checksum}"`);
    assert.equal(revalidate.status, 304);
  });

  test('latest redirects (302) to the versioned URL keeping the query', async () => {
    const r = (await getPublicDataset(t.db, 'wards'))!.releases[0];
    const res = await request(t.app).get('/datasets/wards/releases/latest/data.json?limit=2');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `/datasets/wards/releases/${r.version}/data.json?limit=2`);
    assert.doesNotMatch(String(res.headers['cache-control']), /immutable/);
    assert.equal((await request(t.app).get('/datasets/no-such-thing/releases/latest/data.csv')).status, 404);
  });

  test('formula injection: risky text gets a leading apostrophe; numbers are untouched', async () => {
    const columns: ColumnSchema[] = [
      { name: 'label', type: 'string' },
      { name: 'amount', type: 'number' },
      { name: '=cmd', type: 'string' },
    ];
    // Data tables refuse NUL on both engines (test/integration/data-table-nul.test.ts); the writer's
    // NUL case is covered in test/unit/download-serializers.test.ts.
    const evil = ['=1+2', '+44 20', '-5', '@SUM(A1)', '\tTab', '\rCR', '\nLF', 'safe', ' padded '];
    const rows: CellValue[][] = evil.map((s, i) => [s, -i - 0.5, 'x']);
    const rel = await publishTestDataset(t.db, 'formula-test', columns, [rows]);
    const res = await request(t.app).get(`/datasets/formula-test/releases/${rel.version}/data.csv`);
    const parsed = parse(res.text, { columns: false }) as string[][];
    assert.deepEqual(parsed[0], ['label', 'amount', "'=cmd"]);
    assert.deepEqual(parsed.slice(1).map((p) => p[0]), evil.map((s) => (/^[=+\-@\t\r\n\0]/.test(s) ? "'" + s : s)));
    assert.deepEqual(parsed.slice(1).map((p) => p[1]), rows.map((r) => String(r[1])));
    const json = JSON.parse((await request(t.app).get(`/datasets/formula-test/releases/${rel.version}/data.json`)).text) as Array<Record<string, unknown>>;
    assert.equal(json[0].label, '=1+2', 'JSON carries the value as it is');
  });

  test('downloads are counted per release and dataset, with one audit entry each (no clear-text address)', async () => {
    const d0 = (await getPublicDataset(t.db, 'public-toilets'))!;
    const r = d0.releases[0];
    const auditBefore = Number((await t.db('audit_log').where({ action: 'download.release' }).count({ n: '*' }))[0].n);
    await request(t.app).get(`/datasets/public-toilets/releases/${r.version}/data.csv`).expect(200);
    await request(t.app).get(`/datasets/public-toilets/releases/${r.version}/data.json`).expect(200);
    await request(t.app).head(`/datasets/public-toilets/releases/${r.version}/data.csv`).expect(200);
    await request(t.app).get(`/datasets/public-toilets/releases/${r.version}/data.csv`).set('If-None-Match', `"${r.checksum}"`).expect(304);
    const d1 = (await getPublicDataset(t.db, 'public-toilets'))!;
    assert.equal(d1.downloadCount, d0.downloadCount + 2);
    assert.equal(d1.releases[0].downloadCount, r.downloadCount + 2);
    const entries = await t.db('audit_log').where({ action: 'download.release' }).orderBy('seq');
    assert.equal(entries.length, auditBefore + 2);
    const last = entries[entries.length - 1];
    assert.equal(last.object_id, String(r.id));
    assert.match(String(last.client), /^h:[0-9a-f]{32}$/);
    assert.doesNotMatch(String(last.client), /127\.0\.0\.1|::/);
    const page = await request(t.app).get('/datasets.json?sort=downloads&per_page=100');
    const counts = (page.body.results as Array<{ downloads: number }>).map((x) => x.downloads);
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'most downloaded first');
    assert.ok(counts[0] > 0);
  });

  test('a withdrawn release answers 410 Gone with the reason', async () => {
    const rel = await publishTestDataset(t.db, 'withdrawn-test', [{ name: 'n', type: 'integer' }], [[[1], [2]]]);
    await t.db('pub_releases').where({ id: rel.releaseId }).update({ status: 'withdrawn', withdrawn_reason: 'A postcode was left in by mistake' });
    const res = await request(t.app).get(`/datasets/withdrawn-test/releases/${rel.version}/data.csv`);
    assert.equal(res.status, 410);
    assert.match(res.body.error.message, /postcode was left in by mistake/);
    const page = await request(t.app).get(`/datasets/withdrawn-test/releases/${rel.version}/data.json`).set('Accept', 'text/html');
    assert.equal(page.status, 410);
    assert.match(page.text, /postcode was left in by mistake/);
  });

  test('a client that disconnects mid-download stops the query', async () => {
    const big = 'x'.repeat(240);
    async function* gen() {
      for (let b = 0; b < 10; b++) yield Array.from({ length: 4000 }, (_, i): CellValue[] => [b * 4000 + i, big]);
    }
    const rel = await publishTestDataset(t.db, 'disconnect-test', [{ name: 'n', type: 'integer' }, { name: 'text', type: 'string' }], gen());
    downloadTuning.batchRows = 250; // 160 batches of ~60 KB
    const server = http.createServer(t.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const finished = new Promise<DownloadOutcome>((resolve) => downloadEvents.once('finished', resolve));
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`http://127.0.0.1:${port}/datasets/disconnect-test/releases/${rel.version}/data.csv`, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
      });
      const outcome = await finished;
      assert.equal(outcome.aborted, true);
      assert.ok(outcome.batches < 100, `read ${outcome.batches} of 160 batches after the client left`);
      assert.ok(outcome.rows < 40000);
    } finally {
      downloadTuning.batchRows = undefined;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('gzip of a filtered JSON download decodes to the same document', async () => {
    const url = '/datasets/traffic-counts/releases/1/data.json?limit=50';
    const plain = await request(t.app).get(url);
    const raw = await request(t.app).get(url).set('Accept-Encoding', 'gzip').buffer(true).parse(binary);
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse((raw.body as Buffer).toString('utf8')), JSON.parse(plain.text));
    assert.ok(zlib.gzipSync(Buffer.from(plain.text)).length > 0);
  });
});

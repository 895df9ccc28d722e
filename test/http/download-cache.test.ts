import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import type { CellValue, ColumnSchema } from '../../src/catalogue/table-schema';
import { downloadEvents, type DownloadOutcome } from '../../src/downloads/download.service';
import { ReleaseFileCache } from '../../src/downloads/release-file-cache';
import type { PublishedRelease } from '../../src/publishing/publish.service';
import { withdrawRelease } from '../../src/publishing/withdraw.service';
import { createTestApp, type TestApp } from '../helpers/test-app';
import { publishTestDataset } from './download-fixtures';

/**
 * The file cache of whole-release CSVs: the first download streams from the database and writes
 * the file in the background; it is kept only when its SHA-256 is the release checksum; later
 * downloads read the file (same bytes, BOM and gzip variants included); a damaged file is ignored
 * and rewritten; a withdrawn release answers 410 whatever is on disk.
 */

const binary = (res: unknown, cb: (err: Error | null, body: Buffer) => void) => {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
};
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

const columns: ColumnSchema[] = [
  { name: 'id', type: 'integer' },
  { name: 'label', type: 'string' },
  { name: 'value', type: 'number' },
];
const rows: CellValue[][] = Array.from({ length: 5000 }, (_, i) => [i + 1, i % 7 === 0 ? `=cmd ${i}` : `label, "${i}"`, i / 8]);

describe('download file cache', () => {
  let t: TestApp;
  let dir: string;
  let release: PublishedRelease;
  const outcomes: DownloadOutcome[] = [];
  const onFinished = (o: DownloadOutcome) => outcomes.push(o);
  const url = '/datasets/cache-test/releases/1/data.csv';
  const fileOf = () => path.join(dir, `release-${release.releaseId}-${release.checksum}.csv`);
  async function cachedFile(): Promise<void> {
    for (let i = 0; i < 200 && !(fs.existsSync(fileOf()) && fs.statSync(fileOf()).size === release.byteSize); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(fs.statSync(fileOf()).size, release.byteSize, 'the file was written');
  }
  async function download(path_: string, headers: Record<string, string> = {}) {
    const before = outcomes.length;
    const res = await request(t.app).get(path_).set({ 'Accept-Encoding': 'identity', ...headers }).buffer(true).parse(binary).expect(200);
    for (let i = 0; i < 100 && outcomes.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    return { res, body: res.body as Buffer, outcome: outcomes[outcomes.length - 1] };
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-download-cache-'));
    t = await createTestApp({ demo: false, env: { DOWNLOAD_CACHE_DIR: dir } });
    await t.db('publishers').insert({ slug: 'p', name: 'P', created_at: new Date().toISOString() });
    release = await publishTestDataset(t.db, 'cache-test', columns, [rows.slice(0, 2000), rows.slice(2000)]);
    downloadEvents.on('finished', onFinished);
  });
  after(async () => {
    downloadEvents.off('finished', onFinished);
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the first download comes from the database and leaves a verified file; the next ones read it', async () => {
    const first = await download(url);
    assert.equal(first.outcome.cached, false);
    assert.equal(sha256(first.body), release.checksum);
    await cachedFile();
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');

    const second = await download(url);
    assert.equal(second.outcome.cached, true);
    assert.equal(second.outcome.rows, rows.length);
    assert.ok(second.body.equals(first.body), 'the same bytes');
    assert.equal(second.res.headers['content-length'], String(release.byteSize));
    assert.equal(second.res.headers.etag, `"${release.checksum}"`);

    const bom = await download(url + '?bom=1');
    assert.equal(bom.outcome.cached, true);
    assert.ok(bom.body.equals(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), first.body])));

    const gz = await download(url, { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.res.headers['content-encoding'], 'gzip');
    assert.equal(gz.outcome.cached, true);
    // (superagent gunzips the body itself; a body that is still gzip is unwrapped here.)
    const plain = gz.body[0] === 0x1f && gz.body[1] === 0x8b ? zlib.gunzipSync(gz.body) : gz.body;
    assert.ok(plain.equals(first.body));

    // A shaped download (columns, filters, sort, limit) is always read from the database.
    const limited = await download(url + '?limit=5');
    assert.equal(limited.outcome.cached, false);
    assert.equal(limited.body.toString('utf8').trim().split('\n').length, 6);
  });

  test('a damaged file is ignored, the download is still right, and the file is written again', async () => {
    await cachedFile();
    fs.writeFileSync(fileOf(), 'id,label,value\n1,tampered,0\n');
    const res = await download(url);
    assert.equal(res.outcome.cached, false);
    assert.equal(sha256(res.body), release.checksum);
    await cachedFile();
    assert.equal(sha256(fs.readFileSync(fileOf())), release.checksum);
  });

  test('a body that does not match the checksum is never kept', async () => {
    const cache = new ReleaseFileCache(dir);
    const kept = await cache.fill({ id: 987654, checksum: 'a'.repeat(64), byteSize: 3 }, async function* () {
      yield Buffer.from('abc');
    });
    assert.equal(kept, false);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('release-987654-')), []);
  });

  test('a withdrawn release answers 410 even though its file is on disk', async () => {
    await cachedFile();
    const dataset = (await t.db('datasets').where({ slug: 'cache-test' }).first('id')) as { id: number };
    await withdrawRelease(t.db, { datasetId: Number(dataset.id), version: 1, reason: 'Published in error', actor: 'system' });
    const gone = await request(t.app).get(url).expect(410);
    assert.match(gone.text, /withdrawn/);
  });
});

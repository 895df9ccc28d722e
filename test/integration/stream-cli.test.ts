import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createPublisher } from '../../src/catalogue/reference.repository';
import { loadConfig } from '../../src/config';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { fromRoot } from '../../src/paths';
import { countReadings } from '../../src/streams/reading.repository';
import { getStreamBySlug } from '../../src/streams/stream.repository';
import { parseCredential, signBatch } from '../../src/streams/signature';

/** `plaza stream:create`, `device:add` (its credential works), `stream:list`, `device:revoke` and `simulate`, on a SQLite file. */

const tsx = fromRoot('node_modules', '.bin', 'tsx');
const cli = fromRoot('src', 'cli', 'main.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-stream-cli-'));
const file = path.join(dir, 'plaza.db');
const secret = 'stream-cli-test-secret-0123456789abcdefghij';
const env = { ...process.env, PLAZA_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite:' + file, PLAZA_SECRET: secret, NODE_ENV: 'test' };

function plaza(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

let db: Db;
before(async () => {
  db = await createDb('sqlite:' + file);
  await migrateLatest(db);
  await createPublisher(db, { slug: 'environmental-health', name: 'Environmental Health' });
});
after(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('define a stream, add a device whose printed credential works, simulate, revoke', async () => {
  const bad = await plaza(['stream:create', '--slug', 'bad', '--title', 'Bad one', '--publisher', 'environmental-health', '--level', 'personal', '--measure', 'kwh:kWh:0:20', '--interval', 'hour', '--spatial', 'ward', '--min-households', '10']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /daily or coarser/);

  const created = await plaza(['stream:create', '--slug', 'river-levels', '--title', 'River levels', '--publisher', 'environmental-health', '--measure', 'level:m:0:10:Water level', '--interval', 'hour', '--interval', 'day']);
  assert.equal(created.code, 0, created.err);
  assert.match(created.out, /Created public stream "river-levels"/);

  const added = await plaza(['device:add', '--stream', 'river-levels', '--key', 'river-01', '--lat', '52.2', '--lon', '0.12']);
  assert.equal(added.code, 0, added.err);
  const credential = /plzd_river-01\.[A-Za-z0-9_-]{43}/.exec(added.out)?.[0];
  assert.ok(credential, added.out);

  const config = loadConfig({ NODE_ENV: 'test', PLAZA_SECRET: secret, LOG_LEVEL: 'silent', PLAZA_DATA_DIR: dir }, { ensureSecret: false });
  const app = createApp({ config, db, logger: createLogger('silent') });
  const body = JSON.stringify({ readings: [{ time: new Date(Date.now() - 1000).toISOString(), values: { level: 1.25 } }] });
  const ts = Math.floor(Date.now() / 1000);
  const key = parseCredential(credential)!.key;
  await request(app).post('/api/v1/streams/river-levels/readings').set('Authorization', `Bearer ${credential}`).set('Content-Type', 'application/json').set('X-Plaza-Timestamp', String(ts)).set('X-Plaza-Sequence', '1').set('X-Plaza-Signature', signBatch(key, ts, 1, body)).send(body).expect(200);

  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const sim = await plaza(['simulate', '--stream', 'river-levels', '--devices', '2', '--rate', '20', '--batch', '5', '--duration', '3', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(sim.code, 0, sim.err);
    assert.match(sim.out, /failed 0/);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const stream = (await getStreamBySlug(db, 'river-levels'))!;
  assert.ok((await countReadings(db, stream.id)) > 10, 'the simulator’s readings were stored');

  const list = await plaza(['stream:list']);
  assert.match(list.out, /river-levels\tpublic\treleased to .*\t2 devices/);
  const revoked = await plaza(['device:revoke', '--stream', 'river-levels', '--key', 'river-01', '--reason', 'test']);
  assert.equal(revoked.code, 0, revoked.err);
  const entries = (await db('audit_log').whereIn('action', ['ingest.stream_created', 'ingest.device_added', 'ingest.device_revoked']).pluck('action')) as string[];
  assert.deepEqual([...new Set(entries)].sort(), ['ingest.device_added', 'ingest.device_revoked', 'ingest.stream_created']);
});

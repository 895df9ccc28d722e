import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { migrateLatest } from '../../src/db/migrate';
import { fromRoot } from '../../src/paths';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb, type TestDb } from '../helpers/test-db';

let t: TestDb;
before(async () => {
  t = await createTestDb({ migrate: false });
});
after(() => t.destroy());

const streamTables = ['streams', 'stream_devices', 'stream_batches', 'stream_readings'];

test('the streams migration goes up on a populated database, down, and up again', async () => {
  await migrateLatest(t.db);
  await seedDemoCity(t.db);
  for (const name of streamTables) assert.ok(await t.db.schema.hasTable(name), `${name} exists`);
  assert.ok(Number((await t.db('stream_readings').count({ n: '*' }))[0].n) > 1000);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const m = require(path.join(fromRoot('migrations'), '20261128100000_streams.ts')) as { up(k: unknown): Promise<void>; down(k: unknown): Promise<void> };
  await m.down(t.db);
  for (const name of streamTables) assert.equal(await t.db.schema.hasTable(name), false, `${name} dropped`);
  assert.ok(await t.db.schema.hasTable('datasets'), 'the rest stays');
  await m.up(t.db);
  for (const name of streamTables) assert.ok(await t.db.schema.hasTable(name), `${name} back`);
  await t.db('streams').insert({ slug: 'x', dataset_id: 1, level: 'public', measures_json: '[]', rollup_json: '{}', policy_by: 's', policy_at: 'n', closed_until: 0, created_by: 's', created_at: 'n' });
  await t.db('stream_devices').insert({ stream_id: 1, device_key: 'k', key_salt: 's', key_hash: '', created_by: 's', created_at: 'n' });
  await t.db('stream_batches').insert({ device_id: 1, seq: 9007199254740991, digest: 'd', readings: 1, received_at: 1 });
  await assert.rejects(t.db('stream_batches').insert({ device_id: 1, seq: 9007199254740991, digest: 'e', readings: 1, received_at: 1 }), /unique|UNIQUE|duplicate/);
});

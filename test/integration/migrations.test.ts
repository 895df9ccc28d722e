import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrateDownAll, migrateLatest, migrationStatus } from '../../src/db/migrate';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb, type TestDb } from '../helpers/test-db';

let t: TestDb;
before(async () => {
  t = await createTestDb({ migrate: false });
});
after(() => t.destroy());

async function tables(): Promise<string[]> {
  if (t.dialect === 'pg') {
    const res = await t.db.raw('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()');
    return res.rows.map((r: { tablename: string }) => r.tablename).sort();
  }
  const rows = await t.db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  return rows.map((r: { name: string }) => r.name).sort();
}

test('migrations go up, down and up again on an empty and on a populated database', async () => {
  const applied = await migrateLatest(t.db);
  assert.ok(applied.length >= 2);
  assert.deepEqual((await migrationStatus(t.db)).pending, []);
  for (const name of ['datasets', 'pub_datasets', 'releases', 'sources', 'audit_log', 'licences', 'publishers', 'themes']) {
    assert.ok((await tables()).includes(name), `${name} exists`);
  }
  assert.equal(Number((await t.db('licences').count({ n: '*' }))[0].n), 6);

  await seedDemoCity(t.db);
  assert.ok((await tables()).some((n) => n.startsWith('rel_')));
  assert.ok((await tables()).some((n) => n.startsWith('raw_')));

  const reverted = await migrateDownAll(t.db);
  assert.equal(reverted.length, applied.length);
  const left = (await tables()).filter((n) => !n.startsWith('knex_migrations'));
  assert.deepEqual(left, [], 'every table, including data tables, is dropped');

  assert.deepEqual(await migrateLatest(t.db), applied, 'and up again');
  assert.equal(Number((await t.db('publishers').count({ n: '*' }))[0].n), 0);
});

test('the audit log refuses updates and deletes at the database level', async () => {
  await t.db('audit_log').insert({ seq: 1, at: 'x', actor: 'system', action: 'system.seeded', outcome: 'success', details: '{}', prev_hash: '0', hash: '1' });
  await assert.rejects(t.db('audit_log').update({ actor: 'someone' }), /append-only/);
  await assert.rejects(t.db('audit_log').delete(), /append-only/);
});

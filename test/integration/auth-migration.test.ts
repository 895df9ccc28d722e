import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrateDownAll, migrateLatest } from '../../src/db/migrate';
import { createTestDb } from '../helpers/test-db';

describe('accounts migration', () => {
  it('goes down and up again, keeping the audit table append-only', async () => {
    const t = await createTestDb();
    try {
      for (const table of ['users', 'user_publishers', 'sessions', 'api_tokens', 'password_links']) assert.ok(await t.db.schema.hasTable(table), table);
      assert.ok(await t.db.schema.hasColumn('audit_log', 'dataset_id'));
      await migrateDownAll(t.db);
      assert.equal(await t.db.schema.hasTable('users'), false);
      await migrateLatest(t.db);
      assert.ok(await t.db.schema.hasTable('users'));
      await t.db('audit_log').insert({ seq: 1, at: 'x', actor: 'system', action: 'system.seeded', outcome: 'success', details: '{}', prev_hash: '0', hash: '1', dataset_id: null });
      await assert.rejects(() => t.db('audit_log').update({ actor: 'x' }), /append-only/);
      await assert.rejects(() => t.db('audit_log').delete(), /append-only/);
    } finally {
      await t.destroy();
    }
  });
});

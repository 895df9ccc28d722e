import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readPublicGeneration } from '../../src/db/catalogue-search';
import { createDb } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';
import { readOnlyConnectionOf } from '../../src/db/sqlite-client';
import { createTestDb, testPgUrl } from '../helpers/test-db';

/** The read-only side connection of a SQLite file: one per database, fresh reads, closed with the pool. */
describe('read-only side connection', () => {
  test('a SQLite file database has one, shared by every hot read, that sees committed writes and closes with the database', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plaza-ro-'));
    const db = await createDb(`sqlite:${path.join(dir, 'plaza.db')}`);
    try {
      await migrateLatest(db);
      const before = await readPublicGeneration(db);
      const side = readOnlyConnectionOf(db);
      assert.ok(side?.open, 'the generation read opened the side connection');
      assert.equal(readOnlyConnectionOf(db), side, 'the same connection is reused');
      await db('pub_generation').where({ id: 1 }).increment('generation', 1);
      assert.equal(await readPublicGeneration(db), before + 1, 'a committed write is visible to the next read');
      await db.transaction(async (trx) => {
        assert.equal(readOnlyConnectionOf(trx), undefined, 'a transaction reads its own writes through its connection');
        await trx('pub_generation').where({ id: 1 }).increment('generation', 1);
        assert.equal(await readPublicGeneration(trx), before + 2);
      });
      await db.destroy();
      assert.equal(side.open, false, 'destroying the database closed the side connection');
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('none for an in-memory or PostgreSQL database', async () => {
    const t = await createTestDb();
    try {
      assert.equal(readOnlyConnectionOf(t.db), undefined);
      assert.equal(typeof (await readPublicGeneration(t.db)), 'number');
    } finally {
      await t.destroy();
    }
    if (!testPgUrl) assert.equal(t.dialect, 'sqlite');
  });
});

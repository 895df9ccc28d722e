import crypto from 'node:crypto';
import { createDb, type Db } from '../../src/db/knex';
import { migrateLatest } from '../../src/db/migrate';

/** PostgreSQL URL when the suite runs against PostgreSQL (PLAZA_TEST_PG), else undefined. */
export const testPgUrl = process.env.PLAZA_TEST_PG || undefined;

/** A migrated database for one test file: in-memory SQLite, or a fresh PostgreSQL schema. */
export interface TestDb {
  db: Db;
  dialect: 'sqlite' | 'pg';
  /** Drops the PostgreSQL schema and closes the connection. */
  destroy(): Promise<void>;
}

/** Opens a fresh, migrated test database. */
export async function createTestDb(options: { migrate?: boolean } = {}): Promise<TestDb> {
  if (testPgUrl) {
    const schema = 'test_' + crypto.randomBytes(6).toString('hex');
    const db = await createDb(testPgUrl, { schema, poolMax: 5 });
    if (options.migrate !== false) await migrateLatest(db);
    return {
      db,
      dialect: 'pg',
      destroy: async () => {
        await db.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await db.destroy();
      },
    };
  }
  const db = await createDb(':memory:');
  if (options.migrate !== false) await migrateLatest(db);
  return { db, dialect: 'sqlite', destroy: () => db.destroy() };
}

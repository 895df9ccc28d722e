import { loadConfig, type Config } from '../config';
import { createDb, type Db } from '../db/knex';
import { migrateLatest } from '../db/migrate';

/** Opens the configured database (migrated) for a CLI command and closes it afterwards. */
export async function withDatabase<T>(fn: (db: Db, config: Config) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  const db = await createDb(config.databaseUrl);
  try {
    if (options.migrate !== false) await migrateLatest(db);
    return await fn(db, config);
  } finally {
    await db.destroy();
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { fromRoot } from '../paths';
import type { Db } from './knex';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Loads the timestamp-named TypeScript migrations from migrations/ (or their compiled .js twins in
 * dist/migrations), so the same files run under tsx in development and from dist in production.
 */
class PlazaMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(this.dir)
      .filter((f) => /^\d{14}_[a-z0-9_-]+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  }

  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }

  async getMigration(file: string): Promise<MigrationModule> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(this.dir, file)) as MigrationModule;
  }
}

/** The migrations folder next to the running code: dist/migrations when compiled, migrations/ otherwise. */
function migrationsDir(): string {
  const compiled = path.resolve(__dirname, '../../migrations');
  if (__filename.endsWith('.js') && fs.existsSync(compiled)) return compiled;
  return fromRoot('migrations');
}

const config = (): Knex.MigratorConfig => ({
  migrationSource: new PlazaMigrationSource(migrationsDir()),
  tableName: 'knex_migrations',
});

/** Brings the schema up to date; returns the names of the migrations applied. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(config())) as [number, string[]];
  return applied;
}

/** Rolls back every migration (used by tests and `plaza migrate --down`). */
export async function migrateDownAll(db: Db): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(config(), true)) as [number, string[]];
  return reverted;
}

/** Lists applied and pending migrations. */
export async function migrationStatus(db: Db): Promise<{ applied: string[]; pending: string[] }> {
  const [applied, pending] = (await db.migrate.list(config())) as [Array<{ name: string }>, string[]];
  return {
    applied: applied.map((m) => m.name),
    pending: pending.map((m) => (typeof m === 'string' ? m : (m as { file: string }).file)),
  };
}

import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { PlazaSqliteClient } from './sqlite-client';

/** The database handle every repository receives. */
export type Db = Knex;
/** A transaction or the database: repositories accept either so callers can compose them atomically. */
export type DbOrTrx = Knex | Knex.Transaction;

/** Which engine a handle talks to; the few dialect-specific queries branch on this. */
export function dialectOf(db: DbOrTrx): 'sqlite' | 'pg' {
  return db.client.config.client === 'pg' ? 'pg' : 'sqlite';
}

export interface CreateDbOptions {
  /** PostgreSQL schema to use (tests use a fresh one per file); created if missing. */
  schema?: string;
  /** Pool size for PostgreSQL. */
  poolMax?: number;
}

/** Opens the database named by a URL: postgres://… or sqlite:/path/file.db or :memory:. */
export async function createDb(url: string, options: CreateDbOptions = {}): Promise<Db> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const schema = options.schema;
    if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid schema name');
    const db = knexFactory({
      client: 'pg',
      connection: url,
      searchPath: schema ? [schema, 'public'] : undefined,
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, c: unknown) => void) => {
          // Keep timestamps and text comparisons predictable across deployments.
          conn.query("SET TIME ZONE 'UTC'", (err) => done(err, conn));
        },
      },
    });
    if (schema) await db.raw(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    return db;
  }
  const filename = sqliteFilename(url);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
  return knexFactory({
    client: PlazaSqliteClient as unknown as typeof knexFactory.Client,
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, idleTimeoutMillis: 2 ** 31 - 1 },
  });
}

/** The file path inside a sqlite:/file: URL. */
export function sqliteFilename(url: string): string {
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  return url.replace(/^(sqlite|file):(\/\/)?/, '');
}

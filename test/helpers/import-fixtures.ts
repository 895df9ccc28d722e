import fs from 'node:fs';
import type { Db } from '../../src/db/knex';
import { fromRoot } from '../../src/paths';

/** The CSV import corpus (test/fixtures/import) and helpers shared by the three ways in. */

export const fixtureDir = fromRoot('test', 'fixtures', 'import');

/** One case of the corpus, as listed in manifest.json. */
export interface FixtureCase {
  file: string;
  case: string;
  status: number;
  message?: string;
  rows?: number;
  columns?: string[];
}

/** Every case of the corpus. */
export function fixtureCases(): FixtureCase[] {
  return JSON.parse(fs.readFileSync(fromRoot('test', 'fixtures', 'import', 'manifest.json'), 'utf8')) as FixtureCase[];
}

/** How many private raw tables exist (a failed import must not leave one behind). */
export async function countRawTables(db: Db): Promise<number> {
  if (db.client.config.client === 'pg') {
    const r = await db.raw("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'raw\\_%'");
    return Number(r.rows[0].n);
  }
  const rows = (await db.raw("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\'")) as Array<{ n: number }>;
  return Number(rows[0].n);
}

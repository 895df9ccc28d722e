import type { Express } from 'express';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { Db } from '../../src/db/knex';
import { createLogger } from '../../src/logger';
import { seedDemoCity } from '../../seeds/demo-city.seed';
import { createTestDb } from './test-db';

/** An app on a fresh test database. */
export interface TestApp {
  app: Express;
  db: Db;
  config: Config;
  close(): Promise<void>;
}

/** Builds the app over a fresh database, optionally with the demo city seeded. */
export async function createTestApp(options: { demo?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<TestApp> {
  const testDb = await createTestDb();
  if (options.demo !== false) await seedDemoCity(testDb.db);
  const config = loadConfig(
    // The download file cache is off unless a test turns it on (DOWNLOAD_CACHE_DIR): tests observe database reads.
    { NODE_ENV: 'test', BASE_URL: 'http://plaza.test', LOG_LEVEL: 'silent', PLAZA_SECRET: 'test-secret-that-is-long-enough-0123456789', DOWNLOAD_CACHE_DIR: 'off', ...options.env },
    { ensureSecret: false },
  );
  const app = createApp({ config, db: testDb.db, logger: createLogger('silent') });
  return { app, db: testDb.db, config, close: () => testDb.destroy() };
}

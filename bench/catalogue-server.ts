import express from 'express';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createDb } from '../src/db/knex';
import { createLogger } from '../src/logger';

/**
 * The portal over an already-seeded bench database, plus a bare Express route as the baseline and a
 * route that reports this process's RSS. Prints "LISTENING <port>".
 */
async function main() {
  const url = process.env.BENCH_DATABASE_URL!;
  const db = await createDb(url, { schema: process.env.BENCH_PG_SCHEMA });
  // A load test is one client hammering the server: lift the per-client rate limits for it.
  const config = loadConfig({
    NODE_ENV: 'production',
    PLAZA_SECRET: 'bench-secret-0123456789-0123456789-xx',
    LOG_LEVEL: 'silent',
    BASE_URL: 'http://127.0.0.1',
    RATE_LIMIT_ANONYMOUS: '100000000',
    PLAZA_SEARCH_CACHE: process.env.PLAZA_SEARCH_CACHE ?? '500',
    // Off unless the bench gives a directory (bench:load does, as a deployment would have it).
    DOWNLOAD_CACHE_DIR: process.env.DOWNLOAD_CACHE_DIR ?? 'off',
  });
  const app = createApp({ config, db, logger: createLogger('silent') });
  const outer = express();
  outer.get('/__bare', (_req, res) => {
    res.json({ ok: true });
  });
  outer.get('/__rss', (_req, res) => {
    res.json({ rss: process.memoryUsage().rss });
  });
  outer.use(app);
  const server = outer.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    console.log(`LISTENING ${typeof addr === 'object' && addr ? addr.port : 0}`);
  });
  process.on('SIGTERM', () => server.close(() => db.destroy().then(() => process.exit(0))));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

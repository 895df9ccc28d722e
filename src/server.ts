import type { Server } from 'node:http';
import { createApp } from './app';
import { startCheckpointSchedule } from './audit/audit.service';
import { systemActor } from './auth/actor';
import { closeApp } from './http/middleware/auth-stack';
import { loadConfig, type Config } from './config';
import { createDb, type Db } from './db/knex';
import { migrateLatest } from './db/migrate';
import { createLogger, type Logger } from './logger';
import type { StreamIngest } from './streams/ingest.service';
import { startStreamRuntime } from './streams/stream-runtime';
import { isEmpty, seedDemoCity } from '../seeds/demo-city.seed';

/** How long in-flight requests get to finish after SIGTERM. */
export const shutdownGraceMs = 10_000;

/** A running portal. */
export interface RunningServer {
  server: Server;
  db: Db;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * config → db → migrate → (demo seed on an empty development database) → app → listen, with
 * graceful shutdown on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (at most
 * 10 s), close the database.
 */
export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel);
  const db = await createDb(config.databaseUrl);
  const applied = await migrateLatest(db);
  if (applied.length) logger.info({ applied }, 'database migrated');
  const seedDemo = env.PLAZA_DEMO === '1' || (config.env !== 'production' && env.PLAZA_DEMO !== '0');
  if (seedDemo && (await isEmpty(db))) {
    logger.info('empty database: seeding the demo city (set PLAZA_DEMO=0 to skip)');
    const result = await seedDemoCity(db);
    logger.info(result, 'demo city seeded');
  }
  const app = createApp({ config, db, logger });
  const stopCheckpoints = startCheckpointSchedule(db, config.audit, systemActor, logger);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.requestTimeout = 5 * 60_000;
  server.headersTimeout = 20_000;
  logger.info({ url: config.baseUrl, port: config.port }, 'Plaza is listening');
  const address = server.address();
  const listenPort = typeof address === 'object' && address ? address.port : config.port;
  const streams = await startStreamRuntime({ db, config, logger, ingest: app.locals.streamIngest as StreamIngest, listenUrl: `http://127.0.0.1:${listenPort}` });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down');
      await streams.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), shutdownGraceMs);
      await closed;
      clearTimeout(timer);
      stopCheckpoints();
      await closeApp(app);
      await db.destroy();
      logger.info('stopped');
    })());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  return { server, db, config, logger, close };
}

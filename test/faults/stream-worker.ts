import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createDb } from '../../src/db/knex';
import { createLogger } from '../../src/logger';

/**
 * The server the stream-ingest crash test kills with SIGKILL: the portal's app on a SQLite file,
 * listening on a free port; prints `READY <port>`. Usage: stream-worker <sqlite file> <secret>.
 */
async function main() {
  const [file, secret] = process.argv.slice(2);
  const config = loadConfig({ NODE_ENV: 'test', PLAZA_SECRET: secret, LOG_LEVEL: 'silent', PLAZA_DATA_DIR: '/tmp', STREAM_TICK_SECONDS: '0' }, { ensureSecret: false });
  const db = await createDb('sqlite:' + file);
  const app = createApp({ config, db, logger: createLogger('silent') });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
  });
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

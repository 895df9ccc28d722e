import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { createDb } from '../../db/knex';
import { migrateDownAll, migrateLatest, migrationStatus } from '../../db/migrate';
import { isEmpty, seedDemoCity } from '../../../seeds/demo-city.seed';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/** `plaza migrate` and `plaza seed`. */
export function register(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date (DATABASE_URL, default ./data/plaza.db)')
    .option('--status', 'list applied and pending migrations without changing anything')
    .option('--down', 'roll back every migration (destroys all data)')
    .action(async (opts: { status?: boolean; down?: boolean }) => {
      const config = loadConfig();
      const db = await createDb(config.databaseUrl);
      try {
        if (opts.status) {
          const { applied, pending } = await migrationStatus(db);
          applied.forEach((m) => console.log(`applied  ${m}`));
          pending.forEach((m) => console.log(`pending  ${m}`));
        } else if (opts.down) {
          const reverted = await migrateDownAll(db);
          console.log(reverted.length ? `Rolled back ${reverted.length} migrations` : 'Nothing to roll back');
        } else {
          const applied = await migrateLatest(db);
          console.log(applied.length ? `Applied ${applied.length} migrations:\n  ${applied.join('\n  ')}` : 'Already up to date');
        }
      } finally {
        await db.destroy();
      }
    });

  program
    .command('seed')
    .description('load the demo city (Anytown) into an empty database')
    .option('--seed <n>', 'random seed for the generated data', '20261126')
    .action(async (opts: { seed: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new CliError(`--seed must be a whole number, got "${opts.seed}"`);
      await withDatabase(async (db) => {
        if (!(await isEmpty(db))) throw new CliError('The database already has a catalogue; seed only an empty database', 1);
        const result = await seedDemoCity(db, { seed });
        console.log(`Seeded the demo city: ${result.datasets} public datasets, ${result.sources} private sources`);
      });
    });
}

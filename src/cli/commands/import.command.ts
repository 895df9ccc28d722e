import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { getDatasetBySlug } from '../../catalogue/dataset.repository';
import { columnTypes, sensitivityLevels, type ColumnType, type SensitivityLevel } from '../../catalogue/table-schema';
import { createDb, dialectOf, sqliteFilename } from '../../db/knex';
import { describeFormat } from '../../ingest/csv-input';
import { importCsv, type ImportResult } from '../../ingest/import.service';
import { publishSourceAsRelease, purgeSource } from '../../ingest/source.service';
import { CliError } from '../cli-error';
import { withDatabase } from '../context';

/** `plaza import` and `plaza source:purge`: the command-line way into the import service. */

interface ImportOptions {
  dataset: string;
  create?: boolean;
  title?: string;
  publisher?: string;
  level?: SensitivityLevel;
  publish?: boolean;
  mode: 'replace' | 'append';
  type: string[];
  json?: boolean;
  progress: boolean;
}

function parseTypes(specs: string[]): Map<string, ColumnType> {
  const types = new Map<string, ColumnType>();
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const name = spec.slice(0, eq).trim();
    const type = spec.slice(eq + 1).trim() as ColumnType;
    if (eq <= 0 || !columnTypes.includes(type)) throw new CliError(`--type needs NAME=TYPE with TYPE one of ${columnTypes.join(', ')}, got "${spec}"`);
    types.set(name, type);
  }
  return types;
}

function summary(r: ImportResult): string {
  const lines = [
    `Imported ${r.source.rows} rows and ${r.source.columns.length} columns into "${r.dataset.slug}" as source version ${r.source.version} (${r.source.mode}) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  file: ${r.bytes} bytes, ${describeFormat(r.format)}, sha256 ${r.sha256}`,
    ...r.source.columns.map((c, i) => `  ${c.name}: ${c.type}, ${c.role ?? 'other'} — ${r.detection.columns[i]?.roleReason ?? ''}`),
    `  suggested level: ${r.detection.suggestedLevel} (dataset level: ${r.dataset.level})`,
    ...r.detection.levelReasons.map((x) => `    - ${x}`),
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  return lines.join('\n');
}

/** Registers the commands. */
export function register(program: Command): void {
  program
    .command('import')
    .description('import a CSV file (or - for standard input, gzip accepted) as a new private source version of a dataset')
    .argument('<file>', 'CSV file to import')
    .requiredOption('--dataset <slug>', 'the dataset the file belongs to')
    .option('--create', 'create the dataset (needs --title, --publisher and --level)')
    .option('--title <title>', 'title of the dataset to create')
    .option('--publisher <slug>', 'publisher of the dataset to create')
    .addOption(new Option('--level <level>', 'sensitivity level of the dataset to create').choices([...sensitivityLevels]))
    .option('--publish', 'publish the rows as a new release (level "public" only)')
    .addOption(new Option('--mode <mode>', 'replace the previous version or append to it').choices(['replace', 'append']).default('replace'))
    .option('--type <name=type>', 'set a column type instead of inferring it (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--json', 'print the result as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, opts: ImportOptions) => {
      if (opts.create && (!opts.title || !opts.publisher || !opts.level)) throw new CliError('--create needs --title, --publisher and --level');
      if (!opts.create && (opts.title || opts.publisher || opts.level)) throw new CliError('--title, --publisher and --level are only used with --create');
      if (opts.publish && opts.create && opts.level !== 'public') {
        throw new CliError(`--publish is only allowed for datasets at level "public", not "${opts.level}": other data must go through a release policy and approval`);
      }
      const types = parseTypes(opts.type);
      const stdin = file === '-';
      if (!stdin && !fs.existsSync(file)) throw new CliError(`No such file: ${file}`);
      const total = stdin ? 0 : fs.statSync(file).size;
      await withDatabase(async (db, config) => {
        if (opts.publish && !opts.create) {
          const existing = await getDatasetBySlug(db, opts.dataset);
          if (existing && existing.sensitivityLevel !== 'public') {
            throw new CliError(`--publish is only allowed for datasets at level "public"; "${existing.slug}" is "${existing.sensitivityLevel}": its data must go through a release policy and approval`);
          }
        }
        const bar = opts.progress && process.stderr.isTTY && !opts.json && total > 0
          ? new cliProgress.SingleBar({ stream: process.stderr, format: 'importing [{bar}] {percentage}% | {rows} rows | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic)
          : undefined;
        bar?.start(total, 0, { rows: 0 });
        let result: ImportResult;
        try {
          result = await importCsv(db, config.import, {
            datasetSlug: opts.dataset,
            input: stdin ? process.stdin : fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
            filename: stdin ? 'stdin.csv' : path.basename(file),
            actor: 'system',
            mode: opts.mode,
            types,
            create: opts.create ? { title: opts.title!, publisherSlug: opts.publisher!, level: opts.level! } : undefined,
            onProgress: bar ? (p) => bar.update(Math.min(total, p.bytes), { rows: p.rows }) : undefined,
          });
        } finally {
          bar?.stop();
        }
        let published: { version: number; rowCount: number } | undefined;
        if (opts.publish) {
          const reader = dialectOf(db) === 'sqlite' && sqliteFilename(config.databaseUrl) !== ':memory:' ? await createDb(config.databaseUrl) : db;
          try {
            published = await publishSourceAsRelease(db, reader, { datasetSlug: opts.dataset, version: result.source.version, actor: 'system' });
          } catch (err) {
            console.log(opts.json ? JSON.stringify({ ...result, published: null }) : summary(result));
            throw err;
          } finally {
            if (reader !== db) await reader.destroy();
          }
        }
        if (opts.json) console.log(JSON.stringify({ ...result, published: published ?? null }));
        else {
          console.log(summary(result));
          if (published) console.log(`Published release ${published.version} of "${opts.dataset}" with ${published.rowCount} rows`);
        }
      });
    });

  program
    .command('source:purge')
    .description('delete the data of an old source version (the record and audit trail stay)')
    .requiredOption('--dataset <slug>', 'the dataset')
    .requiredOption('--version <n>', 'the source version to purge')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (opts: { dataset: string; version: string; reason: string }) => {
      const version = Number(opts.version);
      if (!Number.isInteger(version) || version < 1) throw new CliError(`--version must be a positive whole number, got "${opts.version}"`);
      await withDatabase(async (db) => {
        const s = await purgeSource(db, { datasetSlug: opts.dataset, version, actor: 'system', reason: opts.reason });
        console.log(`Purged source version ${s.version} of "${opts.dataset}" (${s.rowCount} rows)`);
      });
    });
}

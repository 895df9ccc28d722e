import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runPolicy, TABLE_PRESETS, type ColumnMeta, type PolicyInput, type PrimaryRule } from '../../privacy';
import { CliError } from '../cli-error';
import { numberOption, readDelimited, reportFailure, writeDelimited } from './anonymise.command';

interface ProtectOptions {
  input: string; delimiter: string; dimensions: string; measure?: string; preset?: string; threshold?: string; dominance?: string;
  pPercent?: string; secondary: boolean; round?: string; marker?: string; audit?: boolean; seed: string; out: string; report: string;
}

/** Builds the protect-table policy step from the command line. */
function step(o: ProtectOptions, header: string[]): Extract<PolicyInput['steps'][number], { op: 'protect-table' }> {
  const dimensions = o.dimensions.split(',').map((d) => d.trim()).filter(Boolean);
  if (dimensions.length < 1 || dimensions.length > 3) throw new CliError('--dimensions takes 1 to 3 comma-separated columns');
  for (const d of [...dimensions, ...(o.measure ? [o.measure] : [])]) if (!header.includes(d)) throw new CliError(`Unknown column "${d}"`);
  if (o.preset !== undefined && !(o.preset in TABLE_PRESETS)) throw new CliError(`--preset must be one of ${Object.keys(TABLE_PRESETS).join(', ')}`);
  const rules: PrimaryRule[] = [];
  if (o.threshold !== undefined) rules.push({ type: 'threshold', min: numberOption('threshold', o.threshold, true) });
  if (o.dominance !== undefined) {
    const [n, k] = o.dominance.split(',');
    rules.push({ type: 'dominance', n: numberOption('dominance', n ?? '', true), k: numberOption('dominance', k ?? '') });
  }
  if (o.pPercent !== undefined) rules.push({ type: 'p-percent', p: numberOption('p-percent', o.pPercent) });
  if (rules.length === 0 && o.preset === undefined) throw new CliError('Give --preset or at least one of --threshold, --dominance, --p-percent');
  let rounding: { base: number; mode: 'nearest' | 'random' } | undefined;
  if (o.round !== undefined) {
    const [base, mode = 'nearest'] = o.round.split(':');
    if (mode !== 'nearest' && mode !== 'random') throw new CliError('--round must be BASE or BASE:random');
    rounding = { base: numberOption('round', base ?? '', true), mode };
  }
  return {
    op: 'protect-table', dimensions, ...(o.measure ? { measure: o.measure } : {}), ...(o.preset ? { preset: o.preset as 'ons-10-5' | 'nhs-1-7' } : {}),
    ...(rules.length ? { rules } : {}), ...(o.secondary ? {} : { secondary: false }), ...(rounding ? { rounding } : {}),
    ...(o.marker !== undefined ? { marker: o.marker } : {}), audit: o.audit ?? false,
  };
}

/** The protect-table command: aggregate a file into a table with totals and protect it. */
function protect(o: ProtectOptions): void {
  const { header, rows } = readDelimited(o.input, o.delimiter);
  const columns: ColumnMeta[] = header.map((name) => ({ name, type: 'string', role: 'other' }));
  const policy: PolicyInput = { version: 1, seed: o.seed, steps: [step(o, header)] };
  const result = runPolicy(policy, { columns, rows });
  writeDelimited(o.out, result.columns.map((c) => c.name), result.rows, o.delimiter);
  const t = result.report.table;
  const report = {
    cells: t?.cells, primarySuppressed: t?.primarySuppressed, secondarySuppressed: t?.secondarySuppressed, rounding: t?.rounding ?? null,
    smallestPublishedCount: t?.smallestPublishedCount, audit: t?.audit ?? null, statement: result.statement, report: result.report,
  };
  writeFileSync(o.report, JSON.stringify(report, null, 2) + '\n');
}

/** Registers `plaza protect-table`: frequency/magnitude tables with totals, suppression and rounding. */
export function register(program: Command): void {
  program
    .command('protect-table')
    .description('aggregate a delimited file into a 1-3 dimensional table with totals and protect it')
    .requiredOption('--input <file>', 'input file with a header row')
    .option('--delimiter <char>', 'field delimiter of input and output', ',')
    .requiredOption('--dimensions <columns>', 'comma-separated category columns (1 to 3)')
    .option('--measure <column>', 'numeric column to sum (magnitude table); counts are always published')
    .option('--preset <name>', `one of ${Object.keys(TABLE_PRESETS).join(', ')}`)
    .option('--threshold <n>', 'hide counts from 1 to n-1')
    .option('--dominance <n,k>', '(n,k) dominance rule on the measure')
    .option('--p-percent <p>', 'p% rule on the measure')
    .option('--no-secondary', 'skip secondary suppression (unsafe; for comparison only)')
    .option('--round <base[:random]>', 'round published values to a base')
    .option('--marker <text>', 'what hidden cells show')
    .option('--audit', 'run the exact interval audit and include it in the report')
    .option('--seed <seed>', 'seed for random rounding', 'plaza')
    .requiredOption('--out <file>', 'output table')
    .requiredOption('--report <file>', 'JSON report')
    .action((o: ProtectOptions) => {
      try { protect(o); } catch (err) { reportFailure('protect-table', err); }
    });
}

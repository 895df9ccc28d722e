import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CliError } from '../cli-error';
import { METRICS, PrivacyError, runPolicy, type Cell, type ColumnMeta, type Metric, type PolicyInput } from '../../privacy';


/**
 * Prints a usage or privacy error for a privacy command and sets exit code 2 (as the main CLI maps
 * them); anything else is a bug and is rethrown for the main CLI to report.
 */
export function reportFailure(command: string, err: unknown): void {
  if (!(err instanceof PrivacyError || err instanceof CliError)) throw err;
  process.stderr.write(`plaza ${command}: ${err.message}\n`);
  process.exitCode = 2;
}

/** Reads a delimited file with a header row into column names and string rows. */
export function readDelimited(file: string, delimiter: string): { header: string[]; rows: string[][] } {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { throw new CliError(`Cannot read ${file}`); }
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
  } catch (e) {
    throw new CliError(`Cannot parse ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (records.length === 0) throw new CliError(`${file} is empty`);
  return { header: records[0], rows: records.slice(1) };
}

/** Writes rows with a header row, using the given delimiter. */
export function writeDelimited(file: string, header: string[], rows: Cell[][], delimiter: string): void {
  writeFileSync(file, stringify([header, ...rows.map((r) => r.map((c) => (c === null ? '' : String(c))))], { delimiter }));
}

/** Parses a number option strictly. */
export function numberOption(name: string, value: string, integer = false): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${value}"`);
  return x;
}

/** Collects a repeatable option. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface AnonymiseOptions {
  input: string; delimiter: string; hierarchyDelimiter?: string; qi: string[]; k: string; suppression: string; metric: string;
  sensitive?: string; lDiversity?: string; tCloseness?: string; out: string; report: string;
}

/** Turns --l-diversity / --t-closeness into a policy criterion. */
function criterion(o: AnonymiseOptions): NonNullable<Extract<PolicyInput['steps'][number], { op: 'k-anonymity' }>['criteria']> {
  if (!o.lDiversity && !o.tCloseness) {
    if (o.sensitive) throw new CliError('--sensitive needs --l-diversity or --t-closeness');
    return [];
  }
  if (o.lDiversity && o.tCloseness) throw new CliError('Give --l-diversity or --t-closeness, not both');
  if (!o.sensitive) throw new CliError('--l-diversity and --t-closeness need --sensitive COLUMN');
  const column = o.sensitive;
  if (o.lDiversity) {
    const [kind, arg] = o.lDiversity.split(':');
    if (kind === 'distinct') return [{ type: 'distinct-l', column, l: numberOption('l-diversity', arg ?? '', true) }];
    if (kind === 'entropy') return [{ type: 'entropy-l', column, l: numberOption('l-diversity', arg ?? '') }];
    if (kind === 'recursive') {
      const [c, l] = (arg ?? '').split(',');
      return [{ type: 'recursive-cl', column, c: numberOption('l-diversity', c ?? ''), l: numberOption('l-diversity', l ?? '', true) }];
    }
    throw new CliError('--l-diversity must be distinct:L, entropy:L or recursive:C,L');
  }
  const [kind, arg] = (o.tCloseness as string).split(':');
  if (kind !== 'equal' && kind !== 'ordered') throw new CliError('--t-closeness must be equal:T or ordered:T');
  return [{ type: 't-closeness', column, t: numberOption('t-closeness', arg ?? ''), distance: kind }];
}

/** The anonymise command: optimal k-anonymity by global recoding of a delimited file. */
function anonymise(o: AnonymiseOptions): void {
  const { header, rows } = readDelimited(o.input, o.delimiter);
  if (o.qi.length === 0) throw new CliError('Give at least one --qi COLUMN=HIERARCHY.csv');
  if (!(METRICS as readonly string[]).includes(o.metric)) throw new CliError(`--metric must be one of ${METRICS.join(', ')}`);
  const qis = o.qi.map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new CliError(`--qi must be COLUMN=HIERARCHY.csv, got "${spec}"`);
    const column = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    if (!header.includes(column)) throw new CliError(`Unknown column "${column}" in --qi`);
    let text: string;
    try { text = readFileSync(file, 'utf8'); } catch { throw new CliError(`Cannot read hierarchy ${file}`); }
    return { column, hierarchy: { type: 'csv' as const, text, delimiter: o.hierarchyDelimiter ?? o.delimiter } };
  });
  const criteria = criterion(o);
  if (o.sensitive && !header.includes(o.sensitive)) throw new CliError(`Unknown column "${o.sensitive}" in --sensitive`);
  const columns: ColumnMeta[] = header.map((name) => ({
    name, type: 'string', role: qis.some((q) => q.column === name) ? 'quasi_identifier' : name === o.sensitive ? 'sensitive' : 'other',
  }));
  const k = numberOption('k', o.k, true);
  const suppressionLimit = numberOption('suppression', o.suppression);
  const policy: PolicyInput = { version: 1, seed: 'cli', steps: [{ op: 'k-anonymity', k, suppressionLimit, metric: o.metric as Metric, quasiIdentifiers: qis, criteria }] };
  const result = runPolicy(policy, { columns, rows });
  const g = result.report.generalisation;
  writeDelimited(o.out, header, result.rows, o.delimiter);
  const report = {
    metric: o.metric, score: g?.score, levels: g?.levels, suppressed: result.report.suppressedRecords,
    classes: result.report.after?.classes ?? 0, minClass: result.report.after?.smallestClass ?? 0,
    nodesEvaluated: g?.nodesEvaluated, nodesTotal: g?.nodesTotal, statement: result.statement, report: result.report,
  };
  writeFileSync(o.report, JSON.stringify(report, null, 2) + '\n');
}

/** Registers `plaza anonymise` (the contract other tools script against: see docs/privacy-engine.md). */
export function register(program: Command): void {
  program
    .command('anonymise')
    .description('k-anonymise a delimited file by optimal full-domain generalisation with suppression')
    .requiredOption('--input <file>', 'input file with a header row')
    .option('--delimiter <char>', 'field delimiter of input and output', ',')
    .option('--hierarchy-delimiter <char>', 'field delimiter of hierarchy files (default: --delimiter)')
    .option('--qi <column=hierarchy.csv>', 'quasi-identifier and its hierarchy file (repeatable)', collect, [])
    .requiredOption('--k <k>', 'minimum equivalence class size')
    .option('--suppression <s>', 'fraction of records that may be suppressed', '0')
    .option('--metric <metric>', `optimisation target: ${METRICS.join('|')}`, 'dm')
    .option('--sensitive <column>', 'sensitive column for l-diversity / t-closeness')
    .option('--l-diversity <spec>', 'distinct:L | entropy:L | recursive:C,L')
    .option('--t-closeness <spec>', 'equal:T | ordered:T')
    .requiredOption('--out <file>', 'output file (generalised records, suppressed ones removed)')
    .requiredOption('--report <file>', 'JSON report')
    .action((o: AnonymiseOptions) => {
      try { anonymise(o); } catch (err) { reportFailure('anonymise', err); }
    });
}

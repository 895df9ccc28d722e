import { parentPort } from 'node:worker_threads';
import type { SensitivityLevel } from '../catalogue/table-schema';
import { parsePolicy, runPolicy, type Cell, type ColumnMeta, type PolicyResult } from '../privacy';
import type { GateEvidence } from './gate';
import type { PrivacyBudget } from '../privacy/dp.budget';
import { gateEvidence, type ReleaseSettings } from './release-evidence';

/**
 * Worker-thread entry that runs a release policy off the request thread (see policy-job.ts).
 * Messages in: `start` (policy, columns, options), `rows` (a batch), `end`. Messages out:
 * `progress`, `result` (columns, report, statement, gate evidence, first rows), `rows` (output
 * batches, when all rows were asked for), `done`, or `error`.
 */

export interface WorkerStart {
  type: 'start';
  policy: unknown;
  columns: ColumnMeta[];
  secrets: Record<string, string>;
  releaseId: string;
  level: SensitivityLevel;
  detectedDirect: string[];
  settings: ReleaseSettings;
  budget: PrivacyBudget | null;
  budgetRemaining?: number;
  previewRows: number;
  allRows: boolean;
}
export type WorkerIn = WorkerStart | { type: 'rows'; rows: Cell[][] } | { type: 'end' } | { type: 'next'; size: number };

/** What a run produces (the worker posts it as its `result` message). */
export interface PolicyExecution {
  columns: ColumnMeta[];
  rowCount: number;
  firstRows: Cell[][];
  report: PolicyResult['report'];
  statement: string;
  evidence: GateEvidence;
  /** Output columns typed as numbers that hold text (a suppression marker such as "[c]"). */
  textColumns: string[];
  rows: Cell[][];
}

/** Runs the policy over all rows and measures the gate's evidence (pure; used by the worker and inline). */
export function executePolicy(start: Omit<WorkerStart, 'type'>, rows: Cell[][]): PolicyExecution {
  const policy = parsePolicy(start.policy);
  const result = runPolicy(policy, { columns: start.columns, rows }, { secrets: start.secrets, releaseId: start.releaseId, takeRows: true, ...(start.budget ? { budget: start.budget } : {}) });
  const evidence = gateEvidence({ level: start.level, policy, result, detectedDirect: start.detectedDirect, settings: start.settings, budgetRemaining: start.budgetRemaining });
  return {
    columns: result.columns,
    rowCount: result.rows.length,
    firstRows: result.rows.slice(0, start.previewRows),
    report: result.report,
    statement: result.statement,
    evidence,
    textColumns: result.columns
      .filter((c, i) => (c.type === 'integer' || c.type === 'number') && result.rows.some((r) => typeof r[i] === 'string'))
      .map((c) => c.name),
    rows: result.rows,
  };
}

/** Distinct texts remembered per column; a column with more is mostly unique values (ids, free text). */
const INTERN_LIMIT = 65_536;

/**
 * Makes equal texts of a column one string: each batch arrives as fresh copies, so a column of
 * a few categories would otherwise hold a million copies of them (about a third of the rows' heap).
 */
function internRows(rows: Cell[][], seen: Map<string, string>[]): void {
  for (const r of rows) {
    for (let j = 0; j < r.length; j++) {
      const v = r[j];
      if (typeof v !== 'string') continue;
      const m = (seen[j] ??= new Map());
      const known = m.get(v);
      if (known !== undefined) r[j] = known;
      else if (m.size < INTERN_LIMIT) m.set(v, v);
    }
  }
}

const port = parentPort;
if (port) {
  let start: WorkerStart | null = null;
  let rows: Cell[][] = [];
  let seen: Map<string, string>[] = [];
  let out: Cell[][] = [];
  let at = 0;
  port.on('message', (m: WorkerIn) => {
    try {
      if (m.type === 'start') start = m;
      else if (m.type === 'rows') {
        internRows(m.rows, seen);
        for (const r of m.rows) rows.push(r);
      }
      else if (m.type === 'next') {
        if (at >= out.length) port.postMessage({ type: 'eof' });
        else {
          port.postMessage({ type: 'rows', rows: out.slice(at, at + m.size) });
          at += m.size;
        }
      } else {
        if (!start) throw new Error('policy worker: no start message');
        port.postMessage({ type: 'progress', phase: 'running', done: rows.length, total: rows.length });
        seen = [];
        const { rows: result, ...meta } = executePolicy(start, rows);
        rows = [];
        out = start.allRows ? result : [];
        port.postMessage({ type: 'result', ...meta });
      }
    } catch (err) {
      const e = err as Error;
      port.postMessage({ type: 'error', name: e.name, message: e.message });
    }
  });
}

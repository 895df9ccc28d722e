import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CellValue } from '../catalogue/table-schema';
import { ValidationError } from '../errors';
import type { Cell, ColumnMeta, RiskReport } from '../privacy';
import type { GateEvidence } from './gate';
import { executePolicy, type WorkerIn, type WorkerStart } from './policy-worker';
import { PrivacyError } from '../privacy';

/**
 * Runs a release policy in a worker thread, so a large preview or publish never blocks the
 * server's event loop: the caller streams the source's rows in batches (from a database cursor),
 * the worker runs the privacy engine and measures the gate's evidence, and sends back the
 * report, the statement, the first rows and — for publishing — every output row in batches.
 */

/** Progress of a running job. */
export interface JobProgress {
  phase: 'loading' | 'running' | 'done';
  done: number;
  total: number;
}

/** What a policy run returns. */
export interface PolicyJobResult {
  columns: ColumnMeta[];
  rowCount: number;
  firstRows: Cell[][];
  report: RiskReport;
  statement: string;
  evidence: GateEvidence;
  /** Output columns typed as numbers that hold text (a suppression marker such as "[c]"). */
  textColumns: string[];
  /** Every output row in batches, pulled from the worker one batch at a time (only when asked for). */
  rows: AsyncIterable<Cell[][]> | null;
  /** Ends the job (stops the worker); safe to call more than once. */
  close(): void;
}

/** Output rows per batch pulled from the worker. */
const OUT_BATCH = 5000;

export type PolicyJobInput = Omit<WorkerStart, 'type'>;

/** Starts the worker: compiled JavaScript directly, TypeScript sources (tests, `npm run dev`) through tsx. */
function startWorker(): Worker {
  const file = path.join(__dirname, `policy-worker${path.extname(__filename)}`);
  // The worker holds a whole source while the engine works on it, so it gets its own heap limit,
  // independent of the server's (which serves requests with a small heap).
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  if (__filename.endsWith('.ts')) {
    const tsx = require.resolve('tsx/cjs');
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, { eval: true, resourceLimits });
  }
  return new Worker(file, { resourceLimits });
}

/** Heap limit of a policy worker in MiB (POLICY_WORKER_HEAP_MB). */
const WORKER_HEAP_MB = Math.max(256, Number(process.env.POLICY_WORKER_HEAP_MB) || 4096);

/**
 * Runs the policy in the calling thread (the demo seed and small sources, where starting a worker
 * costs more than the run).
 */
export async function runPolicyInline(input: PolicyJobInput, batches: AsyncIterable<CellValue[][]>): Promise<PolicyJobResult> {
  const rows: Cell[][] = [];
  for await (const b of batches) for (const r of b) rows.push(r);
  try {
    const { rows: out, ...result } = executePolicy(input, rows);
    const chunks = function* () {
      for (let i = 0; i < out.length; i += OUT_BATCH) yield out.slice(i, i + OUT_BATCH);
    };
    return { ...result, rows: input.allRows ? (async function* () { yield* chunks(); })() : null, close: () => {} };
  } catch (err) {
    if (err instanceof PrivacyError) throw new ValidationError(`The policy could not be run: ${err.message}`);
    throw err;
  }
}

/**
 * Runs the policy over the batches in a worker; rejects with a ValidationError carrying the
 * engine's message when the policy cannot run. The source streams in; with `allRows`, the output
 * streams out one batch per pull, so the calling thread never holds the whole output.
 */
export async function runPolicyJob(
  input: PolicyJobInput,
  batches: AsyncIterable<CellValue[][]>,
  totalRows: number,
  onProgress: (p: JobProgress) => void = () => {},
): Promise<PolicyJobResult> {
  const worker = startWorker();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    void worker.terminate();
  };
  const post = (m: WorkerIn) => worker.postMessage(m);
  let pending: { resolve: (rows: Cell[][] | null) => void; reject: (e: Error) => void } | null = null;
  let failed: Error | null = null;
  const outcome = new Promise<Omit<PolicyJobResult, 'rows' | 'close'>>((resolve, reject) => {
    worker.on('message', (m: { type: string } & Record<string, unknown>) => {
      if (m.type === 'progress') onProgress({ phase: 'running', done: Number(m.done), total: Number(m.total) });
      else if (m.type === 'result') {
        onProgress({ phase: 'done', done: totalRows, total: totalRows });
        resolve(m as unknown as Omit<PolicyJobResult, 'rows' | 'close'>);
      } else if (m.type === 'rows') pending?.resolve(m.rows as Cell[][]);
      else if (m.type === 'eof') pending?.resolve(null);
      else if (m.type === 'error') {
        failed = new ValidationError(`The policy could not be run: ${String(m.message)}`);
        reject(failed);
        pending?.reject(failed);
      }
    });
    worker.on('error', (e) => {
      failed = e;
      reject(e);
      pending?.reject(e);
    });
    worker.on('exit', (code) => {
      if (closed) return;
      failed = new Error(`policy worker exited (${code})`);
      reject(failed);
      pending?.reject(failed);
    });
  });
  outcome.catch(() => {});
  const pull = () =>
    new Promise<Cell[][] | null>((resolve, reject) => {
      if (failed) return reject(failed);
      pending = { resolve, reject };
      post({ type: 'next', size: OUT_BATCH });
    });
  try {
    post({ type: 'start', ...input });
    let done = 0;
    onProgress({ phase: 'loading', done, total: totalRows });
    for await (const batch of batches) {
      post({ type: 'rows', rows: batch });
      done += batch.length;
      onProgress({ phase: 'loading', done, total: totalRows });
    }
    post({ type: 'end' });
    const result = await outcome;
    if (!input.allRows) {
      close();
      return { ...result, rows: null, close };
    }
    const rows = (async function* () {
      try {
        for (let chunk = await pull(); chunk !== null; chunk = await pull()) yield chunk;
      } finally {
        close();
      }
    })();
    return { ...result, rows, close };
  } catch (err) {
    close();
    throw err;
  }
}

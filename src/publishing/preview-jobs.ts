import crypto from 'node:crypto';
import { AppError, ConflictError, RateLimitedError } from '../errors';
import type { JobProgress } from './policy-job';
import type { StoredPreview } from './release-workflow.repository';

/**
 * Preview jobs: a preview runs in a worker thread while the steward's page polls its progress.
 * At most one job per dataset and a small number overall (the machine's cores); a finished job is
 * kept for an hour so its page and API answer, and its result is stored on the release anyway.
 */

export interface PreviewJob {
  id: string;
  datasetId: number;
  datasetSlug: string;
  startedBy: string;
  startedAt: string;
  state: 'running' | 'done' | 'failed';
  progress: JobProgress;
  finishedAt: string | null;
  error: { status: number; code: string; message: string } | null;
  preview: StoredPreview | null;
  done: Promise<void>;
}

const jobs = new Map<string, PreviewJob>();
const KEEP_MS = 60 * 60 * 1000;
/** Previews that may run at once across the server. */
export const MAX_RUNNING_PREVIEWS = 2;

function prune(now = Date.now()): void {
  for (const [id, j] of jobs) if (j.finishedAt && now - Date.parse(j.finishedAt) > KEEP_MS) jobs.delete(id);
}

/** Starts a preview job, or returns the one already running for the dataset. */
export function startPreviewJob(
  dataset: { id: number; slug: string },
  startedBy: string,
  run: (onProgress: (p: JobProgress) => void) => Promise<StoredPreview>,
): PreviewJob {
  prune();
  const running = [...jobs.values()].filter((j) => j.state === 'running');
  const mine = running.find((j) => j.datasetId === dataset.id);
  if (mine) return mine;
  if (running.length >= MAX_RUNNING_PREVIEWS) throw new RateLimitedError('Other previews are running; try again in a minute');
  const job: PreviewJob = {
    id: crypto.randomUUID(),
    datasetId: dataset.id,
    datasetSlug: dataset.slug,
    startedBy,
    startedAt: new Date().toISOString(),
    state: 'running',
    progress: { phase: 'loading', done: 0, total: 0 },
    finishedAt: null,
    error: null,
    preview: null,
    done: Promise.resolve(),
  };
  job.done = run((p) => {
    job.progress = p;
  }).then(
    (preview) => {
      job.preview = preview;
      job.state = 'done';
      job.finishedAt = new Date().toISOString();
    },
    (err: unknown) => {
      job.state = 'failed';
      job.finishedAt = new Date().toISOString();
      job.error = err instanceof AppError ? { status: err.status, code: err.code, message: err.message } : { status: 500, code: 'internal_error', message: 'The preview failed unexpectedly' };
    },
  );
  jobs.set(job.id, job);
  return job;
}

/** A job of the given dataset by id. */
export function getPreviewJob(id: string, datasetId: number): PreviewJob {
  const job = jobs.get(id);
  if (!job || job.datasetId !== datasetId) throw new ConflictError('This preview is no longer available; run it again');
  return job;
}

/** The job as JSON (without the promise). */
export function previewJobJson(job: PreviewJob) {
  return {
    id: job.id,
    dataset: job.datasetSlug,
    state: job.state,
    progress: job.progress,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    error: job.error,
  };
}

import type { Measure } from './stream.schemas';

/**
 * Per-reading validation of an ingest batch, pure: the batch's shape, then each reading's time
 * (ISO-8601 with a zone, or epoch milliseconds; not further in the future than allowed) and values
 * (known measures, finite numbers within the measure's valid range). Valid readings go on; each
 * invalid one is reported with its index and every problem found.
 */

/** A reading that passed validation. */
export interface ValidReading {
  index: number;
  at: number;
  values: Record<string, number | null>;
}

/** A reading that did not, and why. */
export interface ReadingError {
  index: number;
  errors: string[];
}

/** The outcome for a whole batch. */
export type BatchCheck =
  | { ok: true; valid: ValidReading[]; rejected: ReadingError[] }
  | { ok: false; status: 400 | 413; message: string };

const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a reading's time: ISO-8601 with an explicit zone, or epoch milliseconds. */
export function parseReadingTime(t: unknown): number | undefined {
  if (typeof t === 'number') return Number.isSafeInteger(t) && t > 0 ? t : undefined;
  if (typeof t !== 'string' || !isoWithZone.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Checks one reading against the measures; returns the problems (empty when valid). */
export function readingProblems(r: unknown, measures: Measure[], now: number, maxFutureMs: number): { at?: number; values?: Record<string, number | null>; errors: string[] } {
  const errors: string[] = [];
  if (!r || typeof r !== 'object' || Array.isArray(r)) return { errors: ['a reading must be an object with "time" and "values"'] };
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'time' && k !== 'values') errors.push(`unknown field "${k}"`);
  const at = parseReadingTime(o.time);
  if (at === undefined) errors.push('"time" must be an ISO-8601 time with a zone (2026-11-28T10:00:00Z) or epoch milliseconds');
  else if (at > now + maxFutureMs) errors.push(`"time" is ${Math.round((at - now) / 1000)} s in the future (at most ${maxFutureMs / 1000} s allowed)`);
  const values: Record<string, number | null> = {};
  const v = o.values;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    errors.push('"values" must be an object of measure: number');
  } else {
    const given = v as Record<string, unknown>;
    let count = 0;
    for (const [name, value] of Object.entries(given)) {
      const m = measures.find((x) => x.name === name);
      if (!m) {
        errors.push(`"${name}" is not a measure of this stream (measures: ${measures.map((x) => x.name).join(', ')})`);
        continue;
      }
      if (value === null) {
        values[name] = null;
        continue;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        errors.push(`"${name}" must be a finite number, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : typeof value}`);
        continue;
      }
      if (value < m.min || value > m.max) {
        errors.push(`"${name}" = ${value} is outside its valid range ${m.min}..${m.max} ${m.unit}`);
        continue;
      }
      values[name] = value;
      count++;
    }
    if (count === 0 && errors.length === 0) errors.push('"values" has no measurement');
  }
  return errors.length ? { errors } : { at, values, errors };
}

/** Checks a parsed batch body `{ "readings": [...] }`. */
export function checkBatch(body: unknown, measures: Measure[], opts: { now: number; maxFutureMs: number; maxReadings: number }): BatchCheck {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, status: 400, message: 'The body must be a JSON object { "readings": [ … ] }' };
  const readings = (body as Record<string, unknown>).readings;
  if (!Array.isArray(readings)) return { ok: false, status: 400, message: 'The body needs "readings": an array of { "time", "values" }' };
  if (readings.length === 0) return { ok: false, status: 400, message: '"readings" is empty' };
  if (readings.length > opts.maxReadings) return { ok: false, status: 413, message: `A batch may hold at most ${opts.maxReadings} readings (STREAM_MAX_BATCH); this one has ${readings.length}` };
  const valid: ValidReading[] = [];
  const rejected: ReadingError[] = [];
  readings.forEach((r, index) => {
    const p = readingProblems(r, measures, opts.now, opts.maxFutureMs);
    if (p.errors.length) rejected.push({ index, errors: p.errors });
    else valid.push({ index, at: p.at!, values: p.values! });
  });
  return { ok: true, valid, rejected };
}

import { HierarchyError } from './privacy.errors';

/** Granularities of the date hierarchy, finest first. */
export const DATE_LEVELS = ['day', 'week', 'month', 'quarter', 'year'] as const;
/** One date granularity (see DATE_LEVELS). */
export type DateLevel = (typeof DATE_LEVELS)[number];

const DAY_MS = 86400000;

/** Parses "YYYY-MM-DD" (optionally followed by a time, which is dropped) into a UTC day number. */
export function parseIsoDay(value: string, column: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value.trim());
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  const d = new Date(ms);
  if (!m || Number.isNaN(ms) || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) {
    throw new HierarchyError(`Column "${column}": "${value}" is not a date (YYYY-MM-DD)`, { column, value });
  }
  return Math.floor(ms / DAY_MS);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** ISO 8601 week: the Thursday of the day's week decides the week-year. */
function isoWeek(day: number): { thursday: number; year: number; week: number } {
  const weekday = (new Date(day * DAY_MS).getUTCDay() + 6) % 7;
  const thursday = day - weekday + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return { thursday, year, week: Math.floor((thursday - jan1) / 7) + 1 };
}

/**
 * Generalises a date to a level. With anchorToWeek (used when a hierarchy has a week level below
 * month/quarter/year) the coarser level is that of the week's Thursday, so the levels nest.
 */
export function generaliseDate(value: string, level: DateLevel, column = 'date', anchorToWeek = false): string {
  const day = parseIsoDay(value, column);
  const ref = anchorToWeek ? isoWeek(day).thursday : day;
  const d = new Date(ref * DAY_MS);
  const y = d.getUTCFullYear();
  switch (level) {
    case 'day': return new Date(day * DAY_MS).toISOString().slice(0, 10);
    case 'week': { const w = isoWeek(day); return `${w.year}-W${pad(w.week)}`; }
    case 'month': return `${y}-${pad(d.getUTCMonth() + 1)}`;
    case 'quarter': return `${y}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
    case 'year': return String(y);
  }
}

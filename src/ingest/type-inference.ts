import type { CellValue, ColumnType } from '../catalogue/table-schema';

/**
 * Type inference for imported columns (pure, no I/O). A column gets the most specific type every
 * non-empty sampled value fits, in the order integer → number → boolean → date → datetime → string.
 * Values that would change when read as a number (leading zeros, a leading `+`, `-0`, more than
 * 15 digits) are never numbers, so postcodes, phone numbers and ids stay text exactly as given.
 */

/** Types tried in order; `string` always fits. */
export const inferenceOrder: readonly ColumnType[] = ['integer', 'number', 'boolean', 'date', 'datetime', 'string'];

const integerPattern = /^-?(0|[1-9][0-9]{0,14})$/;
const numberPattern = /^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?([eE][-+]?[0-9]{1,3})?$/;
const isoDate = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ukDate = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/;
const isoDateTime = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/;
const ukDateTime = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$/;
const trueWords = new Set(['true', 'yes']);
const falseWords = new Set(['false', 'no']);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1000) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

function validTime(h: number, mi: number, s: number): boolean {
  return h <= 23 && mi <= 59 && s <= 59;
}

/** A date as ISO `yyyy-mm-dd` (from ISO or UK `dd/mm/yyyy`), or undefined. */
export function parseDate(text: string): string | undefined {
  let m = isoDate.exec(text);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return validDate(y, mo, d) ? text : undefined;
  }
  m = ukDate.exec(text);
  if (m) {
    const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return validDate(y, mo, d) ? `${y}-${pad(mo)}-${pad(d)}` : undefined;
  }
  return undefined;
}

/** A date-time as ISO `yyyy-mm-ddThh:mm:ss[.f][zone]`, or undefined. */
export function parseDateTime(text: string): string | undefined {
  let m = isoDateTime.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i] ?? 0));
    if (!validDate(y, mo, d) || !validTime(h, mi, s)) return undefined;
    const zone = m[8] ? (m[8] === 'Z' ? 'Z' : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]) : '';
    return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${pad(s)}${m[7] ?? ''}${zone}`;
  }
  m = ukDateTime.exec(text);
  if (m) {
    const [d, mo, y, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i] ?? 0));
    if (!validDate(y, mo, d) || !validTime(h, mi, s)) return undefined;
    return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  }
  return undefined;
}

/** True when the raw text is a missing value (empty or only spaces). */
export function isMissing(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

/**
 * Converts one non-missing raw value to a column type; undefined when it does not fit. Strings
 * are kept exactly as given (no trimming), so data survives byte for byte.
 */
export function convertValue(text: string, type: ColumnType): CellValue | undefined {
  if (type === 'string') return text;
  const t = text.trim();
  switch (type) {
    case 'integer':
      return integerPattern.test(t) && t !== '-0' ? Number(t) : undefined;
    case 'number': {
      if (!numberPattern.test(t) || /^-0(\.0*)?$/.test(t)) return undefined;
      const n = Number(t);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean': {
      const l = t.toLowerCase();
      return trueWords.has(l) ? true : falseWords.has(l) ? false : undefined;
    }
    case 'date':
      return parseDate(t);
    case 'datetime':
      return parseDateTime(t);
  }
}

/** Converts a raw cell (missing → null). */
export function convertCell(text: string, type: ColumnType): CellValue | undefined {
  return isMissing(text) ? null : convertValue(text, type);
}

/** Incremental inference over one column: feed values, then read the type. */
export class ColumnTypeGuess {
  private candidates = new Set<ColumnType>(inferenceOrder);
  private seen = 0;

  /** Narrows the candidate types by one raw value. */
  add(text: string): void {
    if (isMissing(text)) return;
    this.seen++;
    for (const type of this.candidates) {
      if (type !== 'string' && convertValue(text, type) === undefined) this.candidates.delete(type);
    }
  }

  /** The most specific type every value seen fits (`string` for an empty column). */
  get type(): ColumnType {
    if (this.seen === 0) return 'string';
    return inferenceOrder.find((t) => this.candidates.has(t)) ?? 'string';
  }
}

/** Infers the type of one column from sampled raw values. */
export function inferColumnType(values: Iterable<string>): ColumnType {
  const g = new ColumnTypeGuess();
  for (const v of values) g.add(v);
  return g.type;
}

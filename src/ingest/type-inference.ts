import type { CellValue, ColumnType } from '../catalogue/table-schema';

/**
 * Type inference for imported columns (pure, no I/O). A column gets the most specific type every
 * non-empty sampled value fits, in the order integer → number → boolean → date → datetime → string.
 * Values that would change when read as a number (leading zeros, a leading `+`, `-0`, more than
 * 15 digits) are never numbers, so postcodes, phone numbers and ids stay text exactly as given.
 */

/** Types tried in order; `string` always fits. */
export const inferenceOrder: readonly ColumnType[] = ['integer', 'number', 'boolean', 'date', 'datetime', 'string'];

const numberPattern = /^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?([eE][-+]?[0-9]{1,3})?$/;
const isoDate = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const ukDate = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/;
const isoDateTime = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$/;
const ukDateTime = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?$/;
const trueWords = new Set(['true', 'yes']);
const falseWords = new Set(['false', 'no']);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1000) return false;
  if (m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) return d <= 29;
  return d <= daysInMonth[m - 1];
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
  if (text.length === 0) return true;
  const c = text.charCodeAt(0);
  if (c > 32 && c < 127) return false;
  return text.trim().length === 0;
}

/*
 * Fast paths. Most cells are short, have no surrounding spaces and are in the canonical form of
 * their type; for those a few character-code checks replace trimming, regular expressions and
 * string building. Each gives exactly what the general path gives (tested against it).
 */

/** Printable ASCII other than space: a value that starts and ends with one has nothing to trim. */
const solid = (c: number) => c > 32 && c < 127;
const digit = (t: string, i: number) => {
  const c = t.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};
/** Two digits at i as a number, or -1. */
function two(t: string, i: number): number {
  const a = digit(t, i);
  const b = digit(t, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** `^-?(0|[1-9][0-9]{0,14})$` but not `-0`, as a number; undefined otherwise. Exact: at most 15 digits. */
function integerValue(t: string): number | undefined {
  const n = t.length;
  const neg = t.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  const digits = n - i;
  if (digits < 1 || digits > 15) return undefined;
  if (t.charCodeAt(i) === 48) return digits === 1 && !neg ? 0 : undefined;
  let v = 0;
  for (; i < n; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** `yyyy-mm-dd` at the start of t, checked; undefined when t does not have that shape, false when the date does not exist. */
function isoDatePrefix(t: string): boolean | undefined {
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return undefined;
  const hi = two(t, 0);
  const lo = two(t, 2);
  const m = two(t, 5);
  const d = two(t, 8);
  if (hi < 0 || lo < 0 || m < 0 || d < 0) return undefined;
  return validDate(hi * 100 + lo, m, d);
}

/** `yyyy-mm-ddThh:mm:ss` or the same with `Z`: the canonical form, returned as it is. */
function canonicalDateTime(t: string): string | false | undefined {
  const n = t.length;
  if ((n !== 19 && !(n === 20 && t.charCodeAt(19) === 90)) || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const date = isoDatePrefix(t);
  const h = two(t, 11);
  const mi = two(t, 14);
  const s = two(t, 17);
  if (date === undefined || h < 0 || mi < 0 || s < 0) return undefined;
  return date && validTime(h, mi, s) ? t : false;
}

function convertSolid(t: string, type: ColumnType): CellValue | undefined | null {
  switch (type) {
    case 'integer':
      return integerValue(t);
    case 'boolean':
      return t === 'true' || t === 'yes' ? true : t === 'false' || t === 'no' ? false : null;
    case 'date': {
      if (t.length !== 10) return null;
      const ok = isoDatePrefix(t);
      return ok === undefined ? null : ok ? t : undefined;
    }
    case 'datetime': {
      const v = canonicalDateTime(t);
      return v === undefined ? null : v === false ? undefined : v;
    }
    default:
      return null;
  }
}

/**
 * Converts one non-missing raw value to a column type; undefined when it does not fit. Strings
 * are kept exactly as given (no trimming), so data survives byte for byte.
 */
export function convertValue(text: string, type: ColumnType): CellValue | undefined {
  if (type === 'string') return text;
  const n = text.length;
  const bare = n > 0 && solid(text.charCodeAt(0)) && solid(text.charCodeAt(n - 1));
  if (bare) {
    // null: no fast answer, take the general path.
    const v = convertSolid(text, type);
    if (v !== null) return v;
  }
  const t = bare ? text : text.trim();
  switch (type) {
    case 'integer':
      return integerValue(t);
    case 'number': {
      if (!numberPattern.test(t) || (t.charCodeAt(0) === 45 && t.charCodeAt(1) === 48 && /^-0(\.0*)?$/.test(t))) return undefined;
      const v = Number(t);
      return Number.isFinite(v) ? v : undefined;
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

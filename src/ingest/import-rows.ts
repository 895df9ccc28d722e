import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { PayloadTooLargeError } from '../errors';
import { ImportInputError } from './import.errors';
import { convertValue, isMissing } from './type-inference';

/**
 * Row-level rules of an import (no I/O): header names, ragged rows, field limits, invalid UTF-8
 * and conversion of raw text to the columns' types. Every error names the row (the header is
 * row 1) and the column, never the cell's content.
 */

/** Longest header name accepted. */
export const maxHeaderLength = 200;

/** Column names from a header row, with blanks named and duplicates numbered; warnings say what changed. */
export function normaliseHeader(header: string[], limits: { maxColumns: number; maxFieldBytes: number }): { names: string[]; warnings: string[] } {
  if (header.length > limits.maxColumns) {
    throw new PayloadTooLargeError(`Row 1, column ${limits.maxColumns + 1}: the header has ${header.length} columns; the limit is ${limits.maxColumns} (IMPORT_MAX_COLUMNS)`, {
      row: 1,
      column: limits.maxColumns + 1,
      limit: 'IMPORT_MAX_COLUMNS',
      value: limits.maxColumns,
    });
  }
  const warnings: string[] = [];
  const seen = new Set<string>();
  const names = header.map((raw, i) => {
    if (raw.includes('\ufffd')) throw new ImportInputError(`Row 1, column ${i + 1}: the header is not valid UTF-8`, { row: 1, column: i + 1, rule: 'invalid_utf8' });
    let name = raw.replace(/\s+/g, ' ').trim();
    if (name.length > maxHeaderLength) {
      throw new ImportInputError(`Row 1, column ${i + 1}: the header is longer than ${maxHeaderLength} characters`, { row: 1, column: i + 1, rule: 'header_length' });
    }
    if (name === '') {
      name = `column_${i + 1}`;
      warnings.push(`Row 1, column ${i + 1}: the header is blank; the column was named "${name}"`);
    }
    if (seen.has(name.toLowerCase())) {
      let k = 2;
      while (seen.has(`${name}_${k}`.toLowerCase())) k++;
      warnings.push(`Row 1, column ${i + 1}: the header "${name}" appears more than once; this column was named "${name}_${k}"`);
      name = `${name}_${k}`;
    }
    seen.add(name.toLowerCase());
    return name;
  });
  return { names, warnings };
}

/** Counts of the fix-ups made while reading rows, turned into warnings at the end. */
export interface RowStats {
  padded: number;
  firstPadded?: number;
  trimmed: number;
  firstTrimmed?: number;
  formulaLike: number;
}

/** A fresh set of counters. */
export function newRowStats(): RowStats {
  return { padded: 0, trimmed: 0, formulaLike: 0 };
}

/**
 * Fits a record to the header: short rows are padded with missing values, extra empty fields
 * dropped, extra non-empty fields refused. Checks the field size limit and UTF-8 validity.
 */
export function fitRecord(rec: string[], row: number, names: string[], stats: RowStats, opts: { maxFieldBytes: number; utf8: boolean }): string[] {
  const n = names.length;
  for (let i = 0; i < rec.length; i++) {
    const f = rec[i];
    if (f.length > opts.maxFieldBytes) {
      throw new PayloadTooLargeError(
        `Row ${row}, column ${i + 1}${i < n ? ` ("${names[i]}")` : ''}: the field is longer than the limit of ${opts.maxFieldBytes} characters (IMPORT_MAX_FIELD_BYTES)`,
        { row, column: i + 1, limit: 'IMPORT_MAX_FIELD_BYTES', value: opts.maxFieldBytes },
      );
    }
    if (opts.utf8 && f.includes('\ufffd')) {
      throw new ImportInputError(`Row ${row}, column ${i + 1}${i < n ? ` ("${names[i]}")` : ''}: the bytes are not valid UTF-8 (the rest of the file is UTF-8)`, {
        row,
        column: i + 1,
        rule: 'invalid_utf8',
      });
    }
    const c = f.charCodeAt(0);
    if (c === 61 || c === 43 || c === 45 || c === 64) stats.formulaLike++; // = + - @
  }
  if (rec.length === n) return rec;
  if (rec.length < n) {
    stats.padded++;
    stats.firstPadded ??= row;
    while (rec.length < n) rec.push('');
    return rec;
  }
  for (let i = n; i < rec.length; i++) {
    if (!isMissing(rec[i])) {
      throw new ImportInputError(`Row ${row}, column ${i + 1}: the row has ${rec.length} fields but the header has ${n} columns`, { row, column: i + 1, rule: 'ragged_row' });
    }
  }
  stats.trimmed++;
  stats.firstTrimmed ??= row;
  rec.length = n;
  return rec;
}

/** Warnings for the fix-ups counted in the stats. */
export function rowWarnings(stats: RowStats, n: number): string[] {
  const out: string[] = [];
  if (stats.padded) out.push(`${stats.padded} rows (first: row ${stats.firstPadded}) had fewer than ${n} fields; the missing fields were left empty`);
  if (stats.trimmed) out.push(`${stats.trimmed} rows (first: row ${stats.firstTrimmed}) had empty fields after the last column; they were dropped`);
  if (stats.formulaLike) {
    out.push(`${stats.formulaLike} cells start with = + - or @; they are stored as they are and neutralised in CSV downloads, so spreadsheets do not run them as formulas`);
  }
  return out;
}

/**
 * Converts a fitted record's cells in place (text → typed value, missing → null) from column
 * `from` on, so a row costs no new array. Returns -1 when every cell fits, else the index of the
 * first cell that does not fit its column's type; that cell and the ones after it are still text,
 * so the caller can change the column and go on from there.
 */
export function convertInPlace(rec: CellValue[], columns: ColumnSchema[], from: number): number {
  for (let i = from; i < columns.length; i++) {
    const text = rec[i] as string;
    if (isMissing(text)) {
      rec[i] = null;
      continue;
    }
    const type = columns[i].type;
    if (type === 'string') continue;
    const v = convertValue(text, type);
    if (v === undefined) return i;
    rec[i] = v;
  }
  return -1;
}

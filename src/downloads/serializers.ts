import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { csvHeader } from './csv';

/**
 * Serialisers for the download formats: each turns a batch of rows (arrays in the selected
 * columns' order) into one string, so a batch costs one write. CSV goes through the canonical
 * writer in csv.ts, so an unparameterised data.csv is byte for byte the checksummed file.
 */

/** Download formats. */
export const downloadFormats = ['csv', 'json', 'ndjson'] as const;
export type DownloadFormat = (typeof downloadFormats)[number];

/** Content types of the formats. */
export const contentTypes: Record<DownloadFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** A format's writer: what comes before the rows, each batch, and what comes after. */
export interface Serializer {
  start(): string;
  batch(rows: CellValue[][]): string;
  end(): string;
}

function jsonValue(v: CellValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return JSON.stringify(v);
  }
}

// eslint-disable-next-line no-control-regex
const jsonUnsafe = /["\\\u0000-\u001f\ud800-\udfff]/;

/** One JSON value writer per column, specialised by type (strings without escapes skip JSON.stringify). */
function jsonCellWriter(column: ColumnSchema): (v: CellValue) => string {
  switch (column.type) {
    case 'integer':
    case 'number':
      return (v) => (typeof v === 'number' ? (Number.isFinite(v) ? '' + v : 'null') : jsonValue(v ?? null));
    case 'boolean':
      return (v) => (v === true ? 'true' : v === false ? 'false' : jsonValue(v ?? null));
    default:
      return (v) => (typeof v === 'string' ? (jsonUnsafe.test(v) ? JSON.stringify(v) : '"' + v + '"') : jsonValue(v ?? null));
  }
}

/** JSON object writer for a fixed list of columns (keys escaped once, not per row). */
function objectWriter(columns: ColumnSchema[]): (row: CellValue[]) => string {
  const keys = columns.map((c, i) => (i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
  const cells = columns.map(jsonCellWriter);
  const n = columns.length;
  return (row) => {
    if (n === 0) return '{}';
    let out = '';
    for (let i = 0; i < n; i++) out += keys[i] + cells[i](row[i]);
    return out + '}';
  };
}

const needsQuoting = /[",\r\n]/;

/** Quotes text as the canonical writer does (quotes, commas, line breaks, edge spaces). */
function quoteLikeCanonical(text: string): string {
  const n = text.length;
  if (n === 0) return text;
  if (needsQuoting.test(text) || text.charCodeAt(0) === 32 || text.charCodeAt(n - 1) === 32) return '"' + text.replace(/"/g, '""') + '"';
  return text;
}

/** True when a text cell would run as a spreadsheet formula (=, +, -, @, tab, CR, LF, NUL first). */
function risky(text: string): boolean {
  const c = text.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 || c === 10 || c === 0;
}

/**
 * One cell writer per column, specialised by type. Byte for byte the output of csv.ts's csvCell
 * (the property test in test/unit/download-serializers.test.ts checks this), only faster.
 */
function csvCellWriter(column: ColumnSchema): (v: CellValue) => string {
  const formulaSafe = column.type === 'string';
  return (v) => {
    if (v === null || v === undefined) return '';
    switch (typeof v) {
      case 'number':
        return Number.isFinite(v) ? '' + v : '';
      case 'boolean':
        return v ? 'true' : 'false';
      default:
        return quoteLikeCanonical(formulaSafe && risky(v) ? "'" + v : v);
    }
  };
}

/** Serialises rows as CSV lines exactly as csv.ts's csvLine would. */
export function csvRowsWriter(columns: ColumnSchema[]): (rows: CellValue[][]) => string {
  const cells = columns.map(csvCellWriter);
  const n = cells.length;
  return (rows) => {
    let out = '';
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      let line = n > 0 ? cells[0](row[0]) : '';
      for (let i = 1; i < n; i++) line += ',' + cells[i](row[i]);
      out += line + '\r\n';
    }
    return out;
  };
}

/** The serializer of a format for the selected columns. */
export function serializerFor(format: DownloadFormat, columns: ColumnSchema[], options: { bom?: boolean } = {}): Serializer {
  if (format === 'csv') {
    const rowsWriter = csvRowsWriter(columns);
    return {
      start: () => (options.bom ? '\uFEFF' : '') + csvHeader(columns),
      batch: rowsWriter,
      end: () => '',
    };
  }
  const toObject = objectWriter(columns);
  if (format === 'ndjson') {
    return {
      start: () => '',
      batch: (rows) => {
        let out = '';
        for (let r = 0; r < rows.length; r++) out += toObject(rows[r]) + '\n';
        return out;
      },
      end: () => '',
    };
  }
  let first = true;
  return {
    start: () => '[',
    batch: (rows) => {
      let out = '';
      for (let r = 0; r < rows.length; r++) {
        out += (first ? '\n' : ',\n') + toObject(rows[r]);
        first = false;
      }
      return out;
    },
    end: () => (first ? ']\n' : '\n]\n'),
  };
}

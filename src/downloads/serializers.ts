import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import { ChunkWriter } from './chunk-writer';
import { csvHeader } from './csv';

/**
 * Serialisers for the download formats. Each compiles, once per download, one writer per column
 * specialised by the column's type, and encodes a batch of rows (arrays in the selected columns'
 * order) cell by cell straight into the chunk writer's buffer (chunk-writer.ts): no line or batch
 * strings, charCode scans instead of regexes, JSON keys encoded once. CSV output is byte for byte
 * csv.ts's canonical writer (property-tested), so an unparameterised data.csv is exactly the
 * checksummed file.
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
  /** Writes a batch of rows into the chunk writer. */
  write(rows: CellValue[][], out: ChunkWriter): void;
  /** A batch as one string (tests and small bodies). */
  batch(rows: CellValue[][]): string;
  end(): string;
}

type CellWriter = (out: ChunkWriter, v: CellValue) => void;

const trueBytes = Buffer.from('true');
const falseBytes = Buffer.from('false');
const nullBytes = Buffer.from('null');

/**
 * Writes a finite number exactly as String(v) prints it, without making a string for the common
 * cases: integers below 2^31, and values with at most two decimals. For those, `k / 100 === |v|`
 * with k < 1e11 means the decimal k/100 is the only decimal of at most 15 significant digits that
 * reads back as v, so it is also the shortest round-trip form String() prints (plain notation).
 */
export function writeNumber(out: ChunkWriter, v: number): void {
  if ((v | 0) === v) {
    out.int(v);
    return;
  }
  const a = v < 0 ? -v : v;
  if (a < 1e9 && a >= 0.01) {
    const k = Math.round(a * 100);
    if (k / 100 === a) {
      const ip = Math.floor(k / 100);
      const f = k - ip * 100;
      if (v < 0) out.byte(45);
      out.int(ip);
      if (f !== 0) {
        out.byte(46);
        if (f % 10 === 0) out.byte(48 + f / 10);
        else {
          out.byte(48 + Math.floor(f / 10));
          out.byte(48 + (f % 10));
        }
      }
      return;
    }
  }
  out.text('' + v);
}

/** True when a JSON string needs escaping (control characters, quote, backslash, surrogates): a charCode scan. */
function jsonNeedsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

function jsonString(out: ChunkWriter, s: string): void {
  if (jsonNeedsEscape(s)) out.text(JSON.stringify(s));
  else {
    out.byte(34);
    out.text(s);
    out.byte(34);
  }
}

function jsonAny(out: ChunkWriter, v: CellValue): void {
  if (v === null || v === undefined) out.bytes(nullBytes);
  else if (typeof v === 'number') {
    if (Number.isFinite(v)) writeNumber(out, v);
    else out.bytes(nullBytes);
  } else if (typeof v === 'boolean') out.bytes(v ? trueBytes : falseBytes);
  else jsonString(out, v);
}

/** One JSON value writer per column, specialised by type. */
function jsonCellWriter(column: ColumnSchema): CellWriter {
  switch (column.type) {
    case 'integer':
    case 'number':
      return (out, v) => (typeof v === 'number' && Number.isFinite(v) ? writeNumber(out, v) : jsonAny(out, v));
    case 'boolean':
      return (out, v) => (v === true ? out.bytes(trueBytes) : v === false ? out.bytes(falseBytes) : jsonAny(out, v));
    default:
      return (out, v) => (typeof v === 'string' ? jsonString(out, v) : jsonAny(out, v));
  }
}

/** JSON object writer for a fixed list of columns (the `{"name":` prefixes are encoded once). */
function objectWriter(columns: ColumnSchema[]): (out: ChunkWriter, row: CellValue[]) => void {
  const keys = columns.map((c, i) => Buffer.from((i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':', 'utf8'));
  const cells = columns.map(jsonCellWriter);
  const n = columns.length;
  const empty = Buffer.from('{}');
  return (out, row) => {
    if (n === 0) {
      out.bytes(empty);
      return;
    }
    for (let i = 0; i < n; i++) {
      out.bytes(keys[i]);
      cells[i](out, row[i]);
    }
    out.byte(125);
  };
}

/** True when a text cell would run as a spreadsheet formula (=, +, -, @, tab, CR, LF, NUL first). */
function risky(text: string): boolean {
  const c = text.charCodeAt(0);
  return c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13 || c === 10 || c === 0;
}

/**
 * A text cell as the canonical writer writes it: a leading `'` when formula-safe and risky, then
 * quoted when it holds a quote, comma, CR or LF, or (after the prefix) starts or ends with a space.
 */
function csvText(out: ChunkWriter, v: string, formulaSafe: boolean): void {
  const n = v.length;
  if (n === 0) return;
  const prefix = formulaSafe && risky(v) ? 39 : 0;
  let q = (prefix === 0 && v.charCodeAt(0) === 32) || v.charCodeAt(n - 1) === 32;
  for (let i = 0; !q && i < n; i++) {
    const c = v.charCodeAt(i);
    q = c === 34 || c === 44 || c === 13 || c === 10;
  }
  if (q) out.quoted(v, prefix);
  else {
    if (prefix) out.byte(prefix);
    out.text(v);
  }
}

/** Any value in any column, exactly as csv.ts's csvCell writes it. */
function csvAny(out: ChunkWriter, v: CellValue, formulaSafe: boolean): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) writeNumber(out, v);
  } else if (typeof v === 'boolean') out.bytes(v ? trueBytes : falseBytes);
  else csvText(out, v, formulaSafe);
}

/**
 * One cell writer per column, specialised by type. Byte for byte the output of csv.ts's csvCell
 * (the property test in test/unit/download-serializers.test.ts checks this), only faster.
 */
function csvCellWriter(column: ColumnSchema): CellWriter {
  switch (column.type) {
    case 'integer':
    case 'number':
      return (out, v) => (typeof v === 'number' ? (Number.isFinite(v) ? writeNumber(out, v) : undefined) : csvAny(out, v, false));
    case 'boolean':
      return (out, v) => (v === true ? out.bytes(trueBytes) : v === false ? out.bytes(falseBytes) : csvAny(out, v, false));
    case 'string':
      return (out, v) => (typeof v === 'string' ? csvText(out, v, true) : csvAny(out, v, true));
    default:
      return (out, v) => (typeof v === 'string' ? csvText(out, v, false) : csvAny(out, v, false));
  }
}

/** Writes rows as CSV lines exactly as csv.ts's csvLine would. */
export function csvRowsWriter(columns: ColumnSchema[]): (rows: CellValue[][], out: ChunkWriter) => void {
  const cells = columns.map(csvCellWriter);
  const n = cells.length;
  return (rows, out) => {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      if (n > 0) cells[0](out, row[0]);
      for (let i = 1; i < n; i++) {
        out.byte(44);
        cells[i](out, row[i]);
      }
      out.byte(13);
      out.byte(10);
    }
  };
}

function withBatch(s: Omit<Serializer, 'batch'>): Serializer {
  return {
    ...s,
    batch: (rows) => {
      const out = new ChunkWriter();
      s.write(rows, out);
      return out.toBuffer().toString('utf8');
    },
  };
}

/** The serializer of a format for the selected columns. */
export function serializerFor(format: DownloadFormat, columns: ColumnSchema[], options: { bom?: boolean } = {}): Serializer {
  if (format === 'csv') {
    return withBatch({
      start: () => (options.bom ? '\uFEFF' : '') + csvHeader(columns),
      write: csvRowsWriter(columns),
      end: () => '',
    });
  }
  const toObject = objectWriter(columns);
  if (format === 'ndjson') {
    return withBatch({
      start: () => '',
      write: (rows, out) => {
        for (let r = 0; r < rows.length; r++) {
          toObject(out, rows[r]);
          out.byte(10);
        }
      },
      end: () => '',
    });
  }
  let first = true;
  return withBatch({
    start: () => '[',
    write: (rows, out) => {
      for (let r = 0; r < rows.length; r++) {
        if (!first) out.byte(44);
        out.byte(10);
        toObject(out, rows[r]);
        first = false;
      }
    },
    end: () => (first ? ']\n' : '\n]\n'),
  });
}

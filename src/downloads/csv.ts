import type { CellValue, ColumnSchema } from '../catalogue/table-schema';

/**
 * Plaza's one CSV writer (RFC 4180, UTF-8, CRLF). The canonical CSV of a release — the bytes whose
 * SHA-256 is the release checksum — is exactly what `data.csv` serves with no parameters.
 * Text cells that a spreadsheet would run as a formula get a leading apostrophe; numbers are
 * written as numbers.
 */

const formulaStart = /^[=+\-@\t\r\n\0]/;
const needsQuoting = /[",\r\n]/;

/** Neutralises spreadsheet formula injection in a text cell. */
export function escapeFormula(text: string): string {
  return formulaStart.test(text) ? "'" + text : text;
}

function quote(text: string): string {
  return needsQuoting.test(text) || text.startsWith(' ') || text.endsWith(' ')
    ? '"' + text.replace(/"/g, '""') + '"'
    : text;
}

/** Serialises one cell of a column. */
export function csvCell(v: CellValue, column: ColumnSchema): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const text = column.type === 'string' ? escapeFormula(v) : v;
  return quote(text);
}

/** The header line. */
export function csvHeader(columns: ColumnSchema[]): string {
  return columns.map((c) => quote(escapeFormula(c.name))).join(',') + '\r\n';
}

/** One data line. */
export function csvLine(row: CellValue[], columns: ColumnSchema[]): string {
  let out = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) out += ',';
    out += csvCell(row[i] ?? null, columns[i]);
  }
  return out + '\r\n';
}

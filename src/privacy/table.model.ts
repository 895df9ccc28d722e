import { PolicyError } from './privacy.errors';

/** One value in a row: what CSV import, JSON and the database can all represent. */
export type Cell = string | number | boolean | null;

/** The roles of DESIGN.md §2; the engine decides what to do with a column from its role. */
export const COLUMN_ROLES = ['direct_identifier', 'quasi_identifier', 'sensitive', 'measure', 'time', 'location', 'other'] as const;
/** A column's role in the release (see COLUMN_ROLES). */
export type ColumnRole = (typeof COLUMN_ROLES)[number];

/** Storage types the engine understands; generalisers check them. */
export const COLUMN_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'postcode', 'coordinate'] as const;
/** A column's value type (see COLUMN_TYPES). */
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Metadata of one column, as the release workflow classifies it. */
export interface ColumnMeta {
  name: string;
  type: ColumnType;
  role: ColumnRole;
}

/** The engine's input and output shape: columns plus rows as arrays in column order. */
export interface DataTable {
  columns: ColumnMeta[];
  rows: Cell[][];
}

/** What callers may pass in: rows as arrays (column order) or as objects keyed by column name. */
export interface DataTableInput {
  columns: ColumnMeta[];
  rows: ReadonlyArray<ReadonlyArray<Cell>> | ReadonlyArray<Readonly<Record<string, Cell>>>;
}

/** Converts object rows to array rows and checks widths, so every step can index by position. */
export function normaliseTable(input: DataTableInput, copy = true): DataTable {
  const names = input.columns.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new PolicyError('Column names must be unique');
  if (!copy && input.rows.every((r) => Array.isArray(r) && r.length === names.length)) {
    // The caller hands the rows over (a policy worker): no second copy of a large table.
    return { columns: input.columns.map((c) => ({ ...c })), rows: input.rows as Cell[][] };
  }
  const rows: Cell[][] = input.rows.map((row, i) => {
    if (Array.isArray(row)) {
      if (row.length !== names.length) throw new PolicyError(`Row ${i + 1} has ${row.length} values, expected ${names.length}`);
      return (row as ReadonlyArray<Cell>).slice();
    }
    const obj = row as Readonly<Record<string, Cell>>;
    return names.map((n) => (obj[n] === undefined ? null : obj[n]));
  });
  return { columns: input.columns.map((c) => ({ ...c })), rows };
}

/** Position of a named column, or a clear error naming it. */
export function columnIndex(table: { columns: ReadonlyArray<{ name: string }> }, name: string): number {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new PolicyError(`Unknown column "${name}"`, { column: name });
  return i;
}

/** The string form used as a hierarchy key: null and '' are the same missing value. */
export function cellKey(value: Cell): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

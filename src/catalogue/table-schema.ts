/** Column types, as in a Frictionless Table Schema. */
export const columnTypes = ['integer', 'number', 'boolean', 'date', 'datetime', 'string'] as const;
export type ColumnType = (typeof columnTypes)[number];

/** Column roles from the classification (DESIGN.md §2). */
export const columnRoles = [
  'direct_identifier',
  'quasi_identifier',
  'sensitive',
  'measure',
  'time',
  'location',
  'other',
] as const;
export type ColumnRole = (typeof columnRoles)[number];

/** Sensitivity levels, most open first. */
export const sensitivityLevels = ['public', 'personal', 'special_category', 'confidential'] as const;
export type SensitivityLevel = (typeof sensitivityLevels)[number];

/** One column of a source or release: the logical description shown to people and written to feeds. */
export interface ColumnSchema {
  name: string;
  type: ColumnType;
  title?: string;
  description?: string;
  unit?: string;
  role?: ColumnRole;
}

/** A cell value as held in memory: typed, or null for a missing value. Dates are ISO strings. */
export type CellValue = string | number | boolean | null;

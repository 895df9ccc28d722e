import type { ColumnRole, ColumnSchema, ColumnType } from '../catalogue/table-schema';

/**
 * The Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/) stored with each
 * source version: the columns' names, types and formats as imported, plus each column's
 * classification role in the `plaza:role` extension property.
 */
export interface FrictionlessField {
  name: string;
  type: ColumnType;
  format?: string;
  title?: string;
  description?: string;
  'plaza:role'?: ColumnRole;
  'plaza:inferred'?: ColumnType;
}

/** A Table Schema descriptor. */
export interface FrictionlessSchema {
  fields: FrictionlessField[];
  missingValues: string[];
}

/** Builds the Table Schema of a source from its columns (and the types inference first chose). */
export function toTableSchema(columns: ColumnSchema[], inferred?: ColumnType[]): FrictionlessSchema {
  return {
    fields: columns.map((c, i) => ({
      name: c.name,
      type: c.type,
      format: 'default',
      ...(c.title ? { title: c.title } : {}),
      ...(c.description ? { description: c.description } : {}),
      ...(c.role ? { 'plaza:role': c.role } : {}),
      ...(inferred && inferred[i] !== c.type ? { 'plaza:inferred': inferred[i] } : {}),
    })),
    missingValues: [''],
  };
}

import type { CellValue, ColumnSchema } from '../catalogue/table-schema';
import type { FilterOp, RowFilter } from '../db/release-reader';
import { ValidationError } from '../errors';

/**
 * The query language of downloads (`data.csv?columns=a,b&year__gte=2020&sort=-year&limit=10`),
 * turned into a typed read of a release. Every problem is a 400 that names the parameter and the
 * rule broken, never echoing the value.
 */

/** Query parameters with a meaning of their own; every other parameter is a filter. */
export const reservedParams = ['columns', 'sort', 'limit', 'bom'] as const;

/** Filter suffixes (`col__gt=`); `exact` is `=` for columns whose name is a reserved word. */
export const filterSuffixes = ['exact', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'isnull'] as const;

/** Most rows `limit` accepts (a release has at most this many anyway). */
export const maxLimit = 1_000_000_000;

/** A parsed, validated download request. */
export interface DownloadQuery {
  select: number[];
  filters: RowFilter[];
  sort?: { column: number; desc: boolean };
  limit?: number;
  bom: boolean;
  /** True when rows or columns differ from the canonical file (anything but `bom`). */
  shaped: boolean;
  /** A canonical form of the parameters, for ETags. */
  canonical: string;
}

const integerPattern = /^-?\d{1,16}$/;
const numberPattern = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const datePattern = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const dateTimePattern = /^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const maxValueLength = 1000;

const opsByType: Record<ColumnSchema['type'], FilterOp[]> = {
  integer: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isnull'],
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isnull'],
  date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isnull'],
  datetime: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'isnull'],
  boolean: ['eq', 'ne', 'in', 'isnull'],
  string: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'isnull'],
};

const typeNames: Record<ColumnSchema['type'], string> = {
  integer: 'a whole number',
  number: 'a number',
  date: 'a date (YYYY-MM-DD)',
  datetime: 'a date and time (ISO 8601)',
  boolean: 'true or false',
  string: 'text',
};

/** Parses one filter value for a column type, or throws a 400 naming the parameter. */
export function parseTypedValue(raw: string, column: ColumnSchema, param: string): CellValue {
  const bad = () => new ValidationError(`Invalid query parameter "${param}": must be ${typeNames[column.type]}`, { parameter: param });
  if (raw.length > maxValueLength) throw new ValidationError(`Invalid query parameter "${param}": must be at most ${maxValueLength} characters`, { parameter: param });
  switch (column.type) {
    case 'integer': {
      if (!integerPattern.test(raw.trim())) throw bad();
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw bad();
      return n;
    }
    case 'number': {
      if (!numberPattern.test(raw.trim())) throw bad();
      const n = Number(raw);
      if (!Number.isFinite(n)) throw bad();
      return n;
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw bad();
    }
    case 'date':
      if (!datePattern.test(raw.trim())) throw bad();
      return raw.trim();
    case 'datetime':
      if (!dateTimePattern.test(raw.trim())) throw bad();
      return raw.trim();
    default:
      return raw;
  }
}

function single(value: unknown, param: string): string {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new ValidationError(`Invalid query parameter "${param}": give it once`, { parameter: param });
    return String(value[0]);
  }
  return String(value);
}

/** Resolves a filter parameter name to (column index, operator), or undefined if it names no column. */
function filterTarget(key: string, names: Map<string, number>): { column: number; op: FilterOp } | undefined {
  const direct = names.get(key);
  if (direct !== undefined) return { column: direct, op: 'eq' };
  const at = key.lastIndexOf('__');
  if (at <= 0) return undefined;
  const suffix = key.slice(at + 2);
  const column = names.get(key.slice(0, at));
  if (column === undefined || !(filterSuffixes as readonly string[]).includes(suffix)) return undefined;
  return { column, op: suffix === 'exact' ? 'eq' : (suffix as FilterOp) };
}

/** Validates the query parameters of a download against the release's columns. */
export function parseDownloadQuery(query: Record<string, unknown>, columns: ColumnSchema[]): DownloadQuery {
  const names = new Map(columns.map((c, i) => [c.name, i]));
  let select = columns.map((_, i) => i);
  const canonical: string[] = [];
  if (query.columns !== undefined) {
    const list = (Array.isArray(query.columns) ? query.columns : [query.columns])
      .flatMap((v) => String(v).split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.length === 0) throw new ValidationError('Invalid query parameter "columns": name at least one column', { parameter: 'columns' });
    const chosen: number[] = [];
    for (const name of list) {
      const i = names.get(name);
      if (i === undefined) {
        throw new ValidationError(`Invalid query parameter "columns": there is no column "${name.slice(0, 100)}"`, { parameter: 'columns', column: name.slice(0, 100) });
      }
      if (!chosen.includes(i)) chosen.push(i);
    }
    select = chosen;
    canonical.push('columns=' + chosen.join(','));
  }

  let sort: DownloadQuery['sort'];
  if (query.sort !== undefined) {
    const raw = single(query.sort, 'sort').trim();
    const desc = raw.startsWith('-');
    const name = desc ? raw.slice(1) : raw;
    const i = names.get(name);
    if (i === undefined) {
      throw new ValidationError(`Invalid query parameter "sort": there is no column "${name.slice(0, 100)}"`, { parameter: 'sort', column: name.slice(0, 100) });
    }
    sort = { column: i, desc };
    canonical.push(`sort=${desc ? '-' : ''}${i}`);
  }

  let limit: number | undefined;
  if (query.limit !== undefined) {
    const raw = single(query.limit, 'limit').trim();
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 0 || n > maxLimit) {
      throw new ValidationError(`Invalid query parameter "limit": must be a whole number from 0 to ${maxLimit}`, { parameter: 'limit' });
    }
    limit = n;
    canonical.push('limit=' + n);
  }

  let bom = false;
  if (query.bom !== undefined) {
    const raw = single(query.bom, 'bom').trim().toLowerCase();
    if (!['0', '1', 'true', 'false', ''].includes(raw)) {
      throw new ValidationError('Invalid query parameter "bom": must be 1 or 0', { parameter: 'bom' });
    }
    bom = raw === '1' || raw === 'true' || raw === '';
  }

  const filters: RowFilter[] = [];
  for (const key of Object.keys(query).sort()) {
    if ((reservedParams as readonly string[]).includes(key)) continue;
    const target = filterTarget(key, names);
    if (!target) {
      throw new ValidationError(`Invalid query parameter "${key.slice(0, 100)}": there is no column of that name (filters are column=value or column__op=value)`, {
        parameter: key.slice(0, 100),
      });
    }
    const column = columns[target.column];
    if (!opsByType[column.type].includes(target.op)) {
      throw new ValidationError(`Invalid query parameter "${key}": the ${target.op} filter does not apply to ${column.type} columns`, { parameter: key });
    }
    const values = Array.isArray(query[key]) ? (query[key] as unknown[]).map(String) : [String(query[key])];
    for (const raw of values) {
      let value: CellValue | CellValue[];
      if (target.op === 'in') {
        const parts = raw.split(',');
        if (parts.length > 500) throw new ValidationError(`Invalid query parameter "${key}": at most 500 values`, { parameter: key });
        value = parts.map((p) => parseTypedValue(column.type === 'string' ? p : p.trim(), column, key));
      } else if (target.op === 'isnull') {
        value = parseTypedValue(raw, { name: key, type: 'boolean' }, key);
      } else if (target.op === 'contains') {
        if (raw.length === 0) throw new ValidationError(`Invalid query parameter "${key}": must not be empty`, { parameter: key });
        value = parseTypedValue(raw, column, key);
      } else {
        value = parseTypedValue(raw, column, key);
      }
      filters.push({ column: target.column, op: target.op, value });
      canonical.push(`f=${target.column}:${target.op}:${JSON.stringify(value)}`);
    }
  }
  if (bom) canonical.push('bom=1');
  const shaped = query.columns !== undefined || sort !== undefined || limit !== undefined || filters.length > 0;
  return { select, filters, sort, limit, bom, shaped, canonical: canonical.join('&') };
}

import { z } from 'zod';

/**
 * Parameters of the CKAN actions, accepting both forms CKAN clients send: strings from a query
 * string or form (numbers as text, lists and dicts as JSON text) and native JSON from a POST body.
 * Limits are capped silently, as CKAN does (rows ≤ 1000, datastore limit ≤ 32000).
 */

const jsonText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t);
      } catch {
        return v;
      }
    }
    return v;
  }, schema);

const natural = (def: number, cap: number) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? undefined : v),
    z.coerce.number({ message: 'Invalid integer' }).int({ message: 'Invalid integer' }).min(0, { message: 'Must be a natural number' }).default(def).transform((n) => Math.min(n, cap)),
  );

const bool = (def: boolean) =>
  z.preprocess((v) => (v === undefined || v === '' ? def : typeof v === 'boolean' ? v : ['true', '1', 'yes', 'on'].includes(String(v).toLowerCase())), z.boolean());

const stringList = jsonText(z.union([z.array(z.string()), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))]));

/** package_search. */
export const packageSearchSchema = z.object({
  q: z.string().max(500).optional().default(''),
  fq: z.string().max(2000).optional().default(''),
  rows: natural(10, 1000),
  start: natural(0, 100000),
  sort: z.string().max(200).optional(),
  'facet.field': stringList.optional(),
  'facet.limit': z.coerce.number({ message: 'Invalid integer' }).int({ message: 'Invalid integer' }).optional().default(50),
  'facet.mincount': natural(1, 1_000_000),
  facet: bool(true),
});

/** Actions taking an id or name. */
export const idSchema = z.object({ id: z.string({ message: 'Missing value' }).min(1, { message: 'Missing value' }).max(200) });

/** organization_show. */
export const organizationShowSchema = idSchema.extend({ include_datasets: bool(false) });

/** organization_list, group_list. */
export const groupListSchema = z.object({ all_fields: bool(false), limit: natural(1000, 1000), offset: natural(0, 100000) });

/** package_list. */
export const packageListSchema = z.object({ limit: natural(100000, 100000), offset: natural(0, 100000) });

/** datastore_search. */
export const datastoreSearchSchema = z.object({
  resource_id: z.string({ message: 'Missing value' }).min(1, { message: 'Missing value' }).max(200),
  filters: jsonText(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean()]))]), { message: 'Not a json object' })).optional(),
  q: jsonText(z.union([z.string().max(1000), z.record(z.string(), z.string().max(1000))])).optional(),
  limit: natural(100, 32000),
  offset: natural(0, 100_000_000),
  fields: stringList.optional(),
  sort: z.string().max(500).optional(),
  include_total: bool(true),
  records_format: z.enum(['objects'], { message: 'Only "objects" is supported' }).optional().default('objects'),
});

import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { FacetName, PublicDataset, SearchQuery, SearchSort } from '../../catalogue/catalogue.types';
import { facetNames } from '../../catalogue/catalogue.types';
import {
  countPublicDatasets,
  derivedFrom,
  findPublicReleaseById,
  getPublicDataset,
  getPublicDatasetsByIds,
  listPublicDatasetSlugs,
  listPublicKeywords,
  publicDatasetSlugById,
  referenceIds,
  searchPublicDatasets,
} from '../../catalogue/public-catalogue.repository';
import { listLicences, listPublishersWithCounts, listThemesWithCounts } from '../../catalogue/reference.repository';
import type { CellValue } from '../../catalogue/table-schema';
import type { Db } from '../../db/knex';
import { countReleaseRows, readReleaseBatches, type ReleaseRead, type RowFilter } from '../../db/release-reader';
import { parseTypedValue } from '../../downloads/download-query';
import { AppError } from '../../errors';
import { datastoreType, groupDict, licenceDict, organizationDict, packageDict, parseCkanId, resourceDict } from '../../feeds/ckan';
import { datastoreSearchSchema, groupListSchema, idSchema, organizationShowSchema, packageListSchema, packageSearchSchema } from '../schemas/ckan.schema';
import { absolute, urls, withQuery } from '../urls';

/** CKAN's error kinds and their HTTP statuses. */
class CkanError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
  }
}
const notFound = (what = 'Not found') => new CkanError(404, 'Not Found Error', what);
const validation = (fields: Record<string, string[]>) => new CkanError(409, 'Validation Error', Object.entries(fields).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; '), fields);
const searchQueryError = (message: string) => new CkanError(400, 'Search Query Error', `Search Query is invalid: ${message}`);

type Params = Record<string, unknown>;
const listParams = new Set(['facet.field', 'fields']);

/** Validates action parameters with a zod schema; failures are CKAN Validation Errors (409). */
function parseParams<S extends z.ZodType>(schema: S, params: Params): z.infer<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const fields: Record<string, string[]> = {};
  for (const issue of r.error.issues) (fields[issue.path.join('.') || 'params'] ??= []).push(issue.message);
  throw validation(fields);
}

/** CKAN facet fields mapped to the catalogue's facets. */
const facetFields: Record<string, FacetName> = { organization: 'publisher', groups: 'theme', tags: 'keyword', res_format: 'format', license_id: 'licence' };

/** Parses `fq` (`field:value` or `field:"a value"` clauses, optionally `+`-prefixed, AND-ed). */
export function parseFq(fq: string): Partial<Record<FacetName, string[]>> {
  const out: Partial<Record<FacetName, string[]>> = {};
  const clause = /\s*\+?([A-Za-z_.]+):(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*/y;
  let rest = fq.trim();
  while (rest.length) {
    if (/^AND\s+/i.test(rest)) {
      rest = rest.replace(/^AND\s+/i, '');
      continue;
    }
    clause.lastIndex = 0;
    const m = clause.exec(rest);
    if (!m) throw searchQueryError('fq must be field:value clauses');
    const facet = facetFields[m[1]];
    if (!facet) throw searchQueryError(`unsupported fq field ${m[1].slice(0, 40)}; use ${Object.keys(facetFields).join(', ')}`);
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    (out[facet] ??= []).push(value);
    rest = rest.slice(clause.lastIndex);
  }
  return out;
}

const sorts: Record<string, SearchSort> = {
  'score desc': 'relevance',
  'score desc, metadata_modified desc': 'relevance',
  'metadata_modified desc': 'updated',
  'title_string asc': 'title',
  'name asc': 'title',
  'views_recent desc': 'downloads',
  'downloads desc': 'downloads',
};

/**
 * The CKAN Action API subset at /api/3/action/… (and /api/action/…): GET or POST (JSON or form),
 * CKAN's `{ help, success, result }` envelope, its error shape and status codes.
 */
export function ckanRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();

  const findPackage = async (idOrName: string): Promise<PublicDataset> => {
    const parsed = parseCkanId(idOrName);
    let slug = idOrName;
    if (parsed) {
      if (parsed.kind !== 'package') throw notFound();
      const found = await publicDatasetSlugById(db, parsed.id);
      if (!found) throw notFound();
      slug = found;
    }
    if (!/^[a-z0-9][a-z0-9-]{0,99}$/.test(slug)) throw notFound();
    const d = await getPublicDataset(db, slug);
    if (!d) throw notFound();
    return d;
  };

  const packages = async (list: PublicDataset[]) => {
    const ids = await referenceIds(db);
    return list.map((d) => packageDict(baseUrl, d, ids.publishers.get(d.publisher.slug) ?? 0, ids.themes));
  };
  /** Package dictionaries of datasets by id, in order: a fixed number of queries however many. */
  const packagesByIds = async (ids: number[]) => packages(await getPublicDatasetsByIds(db, ids));

  const actions: Record<string, (p: Params) => Promise<unknown>> = {
    package_list: async (p) => {
      const { limit, offset } = parseParams(packageListSchema, p);
      return listPublicDatasetSlugs(db, { offset, limit });
    },

    package_show: async (p) => {
      const { id } = parseParams(idSchema, p);
      const [pkg] = await packages([await findPackage(id)]);
      return pkg;
    },

    package_search: async (p) => {
      const params = parseParams(packageSearchSchema, p);
      const filters = Object.fromEntries(facetNames.map((n) => [n, [] as string[]])) as Record<FacetName, string[]>;
      for (const [facet, values] of Object.entries(parseFq(params.fq))) filters[facet as FacetName].push(...values);
      const q = params.q.trim() === '*:*' ? '' : params.q.replace(/^text:/, '');
      let sort: SearchSort = q ? 'relevance' : 'updated';
      if (params.sort) {
        const key = params.sort.trim().toLowerCase().replace(/\s+/g, ' ');
        if (!sorts[key]) throw searchQueryError(`unsupported sort ${params.sort.slice(0, 60)}; use one of: ${Object.keys(sorts).join('; ')}`);
        sort = sorts[key];
      }
      const query: SearchQuery = { q, filters, sort, page: 1, perPage: Math.max(1, params.start + params.rows) };
      const result = await searchPublicDatasets(db, query);
      // The dictionaries depend only on the published catalogue: memoised with the (cached) result.
      const results = await derivedFrom(result, `ckan:packages:${params.start}:${params.rows}`, () =>
        packagesByIds(result.results.slice(params.start, params.start + params.rows).map((d) => d.id)),
      );
      const fields = params['facet.field'] ?? [];
      const facets: Record<string, Record<string, number>> = {};
      const searchFacets: Record<string, { title: string; items: Array<{ name: string; display_name: string; count: number }> }> = {};
      if (params.facet) {
        for (const field of fields) {
          const facet = facetFields[field];
          if (!facet) continue;
          let values = result.facets[facet].filter((v) => v.count >= params['facet.mincount']);
          if (params['facet.limit'] >= 0) values = values.slice(0, params['facet.limit']);
          facets[field] = Object.fromEntries(values.map((v) => [v.value, v.count]));
          searchFacets[field] = { title: field, items: values.map((v) => ({ name: v.value, display_name: v.label, count: v.count })) };
        }
      }
      return { count: result.total, sort: params.sort ?? 'score desc, metadata_modified desc', facets, results, search_facets: searchFacets };
    },

    organization_list: async (p) => {
      const { all_fields, limit, offset } = parseParams(groupListSchema, p);
      const list = (await listPublishersWithCounts(db)).sort((a, b) => a.slug.localeCompare(b.slug)).slice(offset, offset + limit);
      return all_fields ? list.map((x) => organizationDict(x, x.datasetCount)) : list.map((x) => x.slug);
    },

    organization_show: async (p) => {
      const { id, include_datasets } = parseParams(organizationShowSchema, p);
      const parsed = parseCkanId(id);
      const all = await listPublishersWithCounts(db);
      const org = parsed ? (parsed.kind === 'organization' ? all.find((x) => x.id === parsed.id) : undefined) : all.find((x) => x.slug === id);
      if (!org) throw notFound();
      const dict: Record<string, unknown> = organizationDict(org, org.datasetCount);
      if (include_datasets) {
        const result = await searchPublicDatasets(db, { q: '', filters: { ...emptyFilters(), publisher: [org.slug] }, sort: 'title', page: 1, perPage: 1000 });
        dict.packages = await packagesByIds(result.results.map((d) => d.id));
      }
      return dict;
    },

    group_list: async (p) => {
      const { all_fields, limit, offset } = parseParams(groupListSchema, p);
      const list = (await listThemesWithCounts(db)).sort((a, b) => a.slug.localeCompare(b.slug)).slice(offset, offset + limit);
      return all_fields ? list.map((x) => groupDict(x, x.datasetCount)) : list.map((x) => x.slug);
    },

    tag_list: async () => {
      return listPublicKeywords(db);
    },

    license_list: async () => (await listLicences(db)).map(licenceDict),

    resource_show: async (p) => {
      const { id } = parseParams(idSchema, p);
      const parsed = parseCkanId(id);
      if (!parsed || parsed.kind !== 'resource') throw notFound('Resource was not found.');
      const ref = await findPublicReleaseById(db, parsed.id);
      if (!ref) throw notFound('Resource was not found.');
      return resourceDict(baseUrl, ref.dataset.id, ref.dataset.slug, ref.dataset.title, ref.release, parsed.format);
    },

    datastore_search: async (p) => {
      const params = parseParams(datastoreSearchSchema, p);
      const parsed = parseCkanId(params.resource_id);
      const ref = parsed && parsed.kind === 'resource' ? await findPublicReleaseById(db, parsed.id) : undefined;
      if (!ref) throw notFound(`Resource "${params.resource_id.slice(0, 100)}" was not found.`);
      if (ref.release.status === 'withdrawn') throw new CkanError(404, 'Not Found Error', `This release was withdrawn${ref.release.withdrawnReason ? ': ' + ref.release.withdrawnReason : ''}`);
      const columns = ref.release.columns;
      const index = new Map(columns.map((c, i) => [c.name, i]));
      const column = (name: string, field: string) => {
        const i = index.get(name);
        if (i === undefined) throw validation({ [field]: [`field "${name.slice(0, 100)}" not in database`] });
        return i;
      };
      const typed = (raw: unknown, i: number, field: string): CellValue => {
        try {
          return parseTypedValue(String(raw), columns[i], field);
        } catch (e) {
          throw validation({ [field]: [e instanceof AppError ? e.message.replace(/^Invalid query parameter "[^"]*": /, '') : 'invalid value'] });
        }
      };
      const filters: RowFilter[] = [];
      for (const [name, value] of Object.entries(params.filters ?? {})) {
        const i = column(name, 'filters');
        if (value === null) filters.push({ column: i, op: 'isnull', value: true });
        else if (Array.isArray(value)) filters.push({ column: i, op: 'in', value: value.map((v) => typed(v, i, 'filters')) });
        else filters.push({ column: i, op: 'eq', value: typed(value, i, 'filters') });
      }
      let anyContains: ReleaseRead['anyContains'];
      if (typeof params.q === 'string' && params.q.trim()) {
        anyContains = { columns: columns.map((c, i) => (c.type === 'string' ? i : -1)).filter((i) => i >= 0), text: params.q.trim() };
        if (anyContains.columns.length === 0) filters.push({ column: 0, op: 'isnull', value: true }, { column: 0, op: 'isnull', value: false });
      } else if (params.q && typeof params.q === 'object') {
        for (const [name, text] of Object.entries(params.q)) {
          const i = column(name, 'q');
          if (columns[i].type !== 'string') throw validation({ q: [`field "${name}" is not text`] });
          filters.push({ column: i, op: 'contains', value: text });
        }
      }
      const wanted = params.fields ?? ['_id', ...columns.map((c) => c.name)];
      const select = wanted.filter((f) => f !== '_id').map((f) => column(f, 'fields'));
      const withId = wanted.includes('_id');
      let sort: ReleaseRead['sort'];
      if (params.sort) {
        const parts = params.sort.split(',').map((s) => s.trim()).filter(Boolean);
        if (parts.length > 1) throw validation({ sort: ['sort by one field only'] });
        if (parts.length === 1) {
          const m = /^"?([^"]+?)"?(?:\s+(asc|desc))?$/i.exec(parts[0]);
          if (!m) throw validation({ sort: ['invalid sort'] });
          if (m[1] !== '_id') sort = { column: column(m[1], 'sort'), desc: (m[2] ?? 'asc').toLowerCase() === 'desc' };
          else if ((m[2] ?? 'asc').toLowerCase() === 'desc') throw validation({ sort: ['_id sorts ascending only'] });
        }
      }
      const read: ReleaseRead = { table: ref.release.tableName, columns, select, filters, anyContains, sort, limit: params.limit, offset: params.offset, withRowId: true };
      const records: Array<Record<string, CellValue>> = [];
      const names = ['_id', ...select.map((i) => columns[i].name)];
      if (params.limit > 0) {
        for await (const batch of readReleaseBatches(db, read)) {
          for (const row of batch) {
            const rec: Record<string, CellValue> = {};
            for (let k = 0; k < names.length; k++) if (k > 0 || withId) rec[names[k]] = row[k];
            records.push(rec);
          }
        }
      }
      const fields = [...(withId ? [{ id: '_id', type: 'int' }] : []), ...select.map((i) => ({ id: columns[i].name, type: datastoreType(columns[i]), info: { label: columns[i].title ?? '', notes: columns[i].description ?? '' } }))];
      const linkParams = (offset?: number) => withQuery(urls.ckanAction('datastore_search'), { resource_id: params.resource_id, offset });
      const result: Record<string, unknown> = {
        include_total: params.include_total,
        resource_id: params.resource_id,
        fields,
        records_format: 'objects',
        records,
        limit: params.limit,
        offset: params.offset,
        _links: { start: linkParams(), next: linkParams(params.offset + params.limit) },
        total_estimation_threshold: null,
      };
      if (params.filters) result.filters = params.filters;
      if (params.q !== undefined) result.q = params.q;
      if (params.sort) result.sort = params.sort;
      if (params.include_total) {
        result.total = await countReleaseRows(db, read);
        result.total_was_estimated = false;
      }
      return result;
    },

    status_show: async () => ({
      site_title: 'Plaza',
      site_url: baseUrl,
      ckan_version: '2.10.0',
      api_version: 3,
      extensions: ['datastore'],
      datasets: await countPublicDatasets(db),
    }),

    help_show: async (p) => {
      const name = String(p.name ?? '');
      if (!actions[name]) throw notFound();
      return `${name}: see ${absolute(baseUrl, urls.apiDocs())}#ckan`;
    },
  };

  const help = (action: string) => absolute(baseUrl, urls.ckanAction('help_show', { name: action }));

  const handle = async (req: Request, res: Response) => {
    const action = String(req.params.action);
    res.setHeader('Access-Control-Allow-Origin', '*');
    const run = Object.prototype.hasOwnProperty.call(actions, action) ? actions[action] : undefined;
    if (!run) {
      res.status(400).json({ help: help(action), success: false, error: { __type: 'Bad request', message: `Bad request - Action name not known: ${action.slice(0, 100)}` } });
      return;
    }
    const params: Params = {};
    const source = { ...(req.query as Params), ...(req.method === 'POST' && req.body && typeof req.body === 'object' ? (req.body as Params) : {}) };
    for (const [k, v] of Object.entries(source)) params[k] = Array.isArray(v) && !listParams.has(k) && v.every((x) => typeof x === 'string') ? v[v.length - 1] : v;
    try {
      const result = await run(params);
      res.json({ help: help(action), success: true, result });
    } catch (err) {
      if (err instanceof CkanError) {
        res.status(err.status).json({ help: help(action), success: false, error: { __type: err.type, message: err.message, ...(err.fields ?? {}) } });
        return;
      }
      req.log?.error({ err }, 'CKAN action failed');
      res.status(500).json({ help: help(action), success: false, error: { __type: 'Internal Server Error', message: 'Internal Server Error' } });
    }
  };

  const bodies = [express.json({ limit: '100kb' }), express.urlencoded({ extended: false, limit: '100kb' })];
  for (const prefix of ['/api/3/action', '/api/action']) {
    router.get(`${prefix}/:action`, handle);
    router.post(`${prefix}/:action`, ...bodies, handle);
  }
  router.use(['/api/3/action', '/api/action'], (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(400).json({ help: help(String(req.path.split('/').pop() ?? '')), success: false, error: { __type: 'Bad request', message: 'Bad request - JSON Error: could not read the request body' } });
      return;
    }
    next(err);
  });
  return router;
}

function emptyFilters(): Record<FacetName, string[]> {
  return Object.fromEntries(facetNames.map((n) => [n, [] as string[]])) as Record<FacetName, string[]>;
}

import { Router, type Request } from 'express';
import { apiDatasetJson, apiPublisherJson, apiReleaseJson, apiSummaryJson, apiThemeJson } from '../../api/api-json';
import { cursorNumber, decodeCursor, encodeCursor } from '../../api/cursor';
import { openApiDocument } from '../../api/openapi';
import { derivedFrom, getPublicDataset, searchPublicDatasets } from '../../catalogue/public-catalogue.repository';
import { listPublishersWithCounts, listThemesWithCounts } from '../../catalogue/reference.repository';
import type { Db } from '../../db/knex';
import { NotFoundError, ValidationError } from '../../errors';
import { pageQuerySchema, slugSchema, versionSchema } from '../schemas/api.schema';
import { searchQuerySchema } from '../schemas/search.schema';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';

type QueryRecord = Record<string, string | string[] | undefined>;

/** Offset-based cursor paging of an in-memory list (publishers, themes, releases are short). */
function pageOf<T>(items: T[], req: Request): { slice: T[]; limit: number; nextCursor: string | null } {
  const { cursor, limit } = parseInput(pageQuerySchema, { cursor: req.query.cursor, limit: req.query.limit });
  const offset = cursor ? cursorNumber(decodeCursor(cursor), 'o') : 0;
  const slice = items.slice(offset, offset + limit);
  return { slice, limit, nextCursor: offset + limit < items.length ? encodeCursor({ o: offset + limit }) : null };
}

/**
 * REST API v1 (`/api/v1/...`): the public catalogue as JSON with one envelope
 * (`{ data, meta, links }`), cursor pagination and the one error body; its OpenAPI 3.1 document
 * at /api/v1/openapi.json; and the human-readable API page at /api.
 */
export function apiRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();
  const self = (req: Request) => absolute(baseUrl, req.originalUrl);
  const api = (path: string, query: QueryRecord = {}) => absolute(baseUrl, urls.api(path, query));

  router.use('/api/v1', (_req, res, next) => {
    res.locals.format = 'json';
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });

  router.get('/api/v1', (_req, res) => {
    res.json({
      data: {
        title: 'API v1',
        openapi: absolute(baseUrl, urls.openapi()),
        docs: absolute(baseUrl, urls.apiDocs()),
        ckan: absolute(baseUrl, '/api/3/action/package_list'),
      },
      links: { self: api(''), datasets: api('/datasets'), publishers: api('/publishers'), themes: api('/themes') },
    });
  });

  router.get('/api/v1/openapi.json', (req, res) => {
    res.json(openApiDocument(baseUrl, String(req.app.locals.serviceName ?? 'Plaza')));
  });

  router.get('/api/v1/datasets', async (req, res) => {
    const { cursor, limit, page: _page, per_page: _perPage, ...rest } = req.query as QueryRecord;
    const paging = parseInput(pageQuerySchema, { cursor, limit });
    let page = 1;
    let perPage = paging.limit;
    if (paging.cursor) {
      const state = decodeCursor(paging.cursor);
      page = cursorNumber(state, 'p', 10000);
      perPage = cursorNumber(state, 'n', 100);
      if (page < 1 || perPage < 1) throw new ValidationError('Invalid query parameter "cursor": not a cursor from this API (use links.next)', { parameter: 'cursor' });
    }
    const query = parseInput(searchQuerySchema, { ...rest, page: String(page), per_page: String(perPage) });
    const result = await searchPublicDatasets(db, query);
    const more = page * perPage < result.total;
    const params: QueryRecord = { q: query.q || undefined, sort: (rest.sort as string | undefined) ?? undefined, ...query.filters };
    res.json({
      data: await derivedFrom(result, 'api:summaries', () => result.results.map((d) => apiSummaryJson(baseUrl, d))),
      meta: { q: query.q, sort: query.sort, limit: perPage, total: result.total, facets: result.facets },
      links: { self: self(req), next: more ? api('/datasets', { ...params, cursor: encodeCursor({ p: page + 1, n: perPage }) }) : null },
    });
  });

  const findDataset = async (slug: unknown) => {
    const parsed = slugSchema.safeParse(slug);
    const d = parsed.success ? await getPublicDataset(db, parsed.data) : undefined;
    if (!d) throw new NotFoundError('Dataset not found');
    return d;
  };

  router.get('/api/v1/datasets/:slug', async (req, res) => {
    const d = await findDataset(req.params.slug);
    res.json({ data: apiDatasetJson(baseUrl, d), links: { self: self(req), html: absolute(baseUrl, urls.dataset(d.slug)) } });
  });

  router.get('/api/v1/datasets/:slug/releases', async (req, res) => {
    const d = await findDataset(req.params.slug);
    const { slice, limit, nextCursor } = pageOf(d.releases, req);
    res.json({
      data: slice.map((r) => apiReleaseJson(baseUrl, d.slug, r)),
      meta: { limit, total: d.releases.length },
      links: { self: self(req), next: nextCursor ? api(`/datasets/${encodeURIComponent(d.slug)}/releases`, { limit: String(limit), cursor: nextCursor }) : null },
    });
  });

  router.get('/api/v1/datasets/:slug/releases/:version', async (req, res) => {
    const d = await findDataset(req.params.slug);
    const version = versionSchema.safeParse(req.params.version);
    const r = !version.success
      ? undefined
      : version.data === 'latest'
        ? d.releases.find((x) => x.status === 'published')
        : d.releases.find((x) => x.version === version.data);
    if (!r) throw new NotFoundError('Release not found');
    res.json({ data: apiReleaseJson(baseUrl, d.slug, r), links: { self: self(req), dataset: api(`/datasets/${encodeURIComponent(d.slug)}`) } });
  });

  router.get('/api/v1/publishers', async (req, res) => {
    const all = await listPublishersWithCounts(db);
    const { slice, limit, nextCursor } = pageOf(all, req);
    res.json({
      data: slice.map((p) => apiPublisherJson(baseUrl, p)),
      meta: { limit, total: all.length },
      links: { self: self(req), next: nextCursor ? api('/publishers', { limit: String(limit), cursor: nextCursor }) : null },
    });
  });

  router.get('/api/v1/publishers/:slug', async (req, res) => {
    const slug = slugSchema.safeParse(req.params.slug);
    const p = slug.success ? (await listPublishersWithCounts(db)).find((x) => x.slug === slug.data) : undefined;
    if (!p) throw new NotFoundError('Publisher not found');
    res.json({ data: apiPublisherJson(baseUrl, p), links: { self: self(req), datasets: api('/datasets', { publisher: p.slug }) } });
  });

  router.get('/api/v1/themes', async (req, res) => {
    const all = await listThemesWithCounts(db);
    const { slice, limit, nextCursor } = pageOf(all, req);
    res.json({
      data: slice.map((t) => apiThemeJson(baseUrl, t)),
      meta: { limit, total: all.length },
      links: { self: self(req), next: nextCursor ? api('/themes', { limit: String(limit), cursor: nextCursor }) : null },
    });
  });

  router.get('/api/v1/themes/:slug', async (req, res) => {
    const slug = slugSchema.safeParse(req.params.slug);
    const t = slug.success ? (await listThemesWithCounts(db)).find((x) => x.slug === slug.data) : undefined;
    if (!t) throw new NotFoundError('Theme not found');
    res.json({ data: apiThemeJson(baseUrl, t), links: { self: self(req), datasets: api('/datasets', { theme: t.slug }) } });
  });

  router.get('/api', (req, res) => {
    const doc = openApiDocument(baseUrl, String(req.app.locals.serviceName ?? 'Plaza')) as {
      paths: Record<string, Record<string, { summary: string; parameters?: Array<{ name: string; in: string; description?: string; required: boolean }>; tags?: string[] }>>;
    };
    const endpoints = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path: '/api/v1' + path, summary: op.summary, parameters: op.parameters ?? [], manage: (op.tags ?? []).includes('manage') })),
    );
    res.render('api', { title: 'Use the data: API, CKAN and feeds', endpoints, baseUrl });
  });

  return router;
}

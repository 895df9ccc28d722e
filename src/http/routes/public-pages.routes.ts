import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { facetNames, type PublicDataset, type PublicRelease, type SearchQuery, type SearchResult } from '../../catalogue/catalogue.types';
import {
  catalogueCounts,
  derivedFrom,
  getPublicDataset,
  getPublicRelease,
  previewRows,
  recentlyUpdated,
  searchPublicDatasets,
} from '../../catalogue/public-catalogue.repository';
import { getPublisherBySlug, getThemeBySlug, listPublishersWithCounts, listThemesWithCounts } from '../../catalogue/reference.repository';
import type { Db } from '../../db/knex';
import { NotFoundError } from '../../errors';
import { page } from '../page';
import { slugSchema } from '../schemas/query-params';
import { searchQuerySchema } from '../schemas/search.schema';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';
import { datasetJson, releaseJson, searchJson } from './public-json';

/** Rows shown in a dataset page's preview table. */
export const previewRowCount = 10;

const slugParam = slugSchema;
const versionParam = z.coerce.number().int().min(1).max(1_000_000);

const pageCount = (query: SearchQuery, result: SearchResult) => Math.max(1, Math.ceil(result.total / query.perPage));

/** Renders a partial to a string (app locals only: fragments never depend on who is asking). */
function renderPartial(req: Request, view: string, locals: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => req.app.render(view, locals, (err: Error | null, html?: string) => (err ? reject(err) : resolve(html ?? ''))));
}

/**
 * The rendered facets and results of a search, memoised with the (cached) result: they depend only
 * on the query, the result and the page's path, so a cached search renders them once.
 */
async function searchFragments(req: Request, query: SearchQuery, result: SearchResult, basePath: string, withFacets: boolean) {
  const resultsHtml = derivedFrom(result, `html:results:${basePath}`, () =>
    renderPartial(req, 'partials/results', { query, result, pages: pageCount(query, result), basePath }),
  );
  const facetsHtml = withFacets ? derivedFrom(result, `html:facets:${basePath}`, () => renderPartial(req, 'partials/facets', { query, result, action: basePath, facetNames })) : undefined;
  return { resultsHtml: await resultsHtml, facetsHtml: await facetsHtml };
}

/** The `.json` twin's body of a search, memoised with the (cached) result. */
const searchBody = (baseUrl: string, query: SearchQuery, result: SearchResult) => derivedFrom(result, 'json:search', () => searchJson(baseUrl, query, result));

const wantsJson = (res: Response) => res.locals.format === 'json';

/** The public catalogue pages (DESIGN.md §6), each with its `.json` twin. Reads only public data. */
export function publicPagesRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();

  const findDataset = async (slug: string): Promise<PublicDataset> => {
    const parsed = slugParam.safeParse(slug);
    const dataset = parsed.success ? await getPublicDataset(db, parsed.data) : undefined;
    if (!dataset) throw new NotFoundError('Dataset not found');
    return dataset;
  };

  page(router, '/', async () => {
    const [counts, themes, recent] = await Promise.all([catalogueCounts(db), listThemesWithCounts(db), recentlyUpdated(db, 6)]);
    return {
      view: 'index',
      title: 'Find open data about Anytown',
      locals: { counts, themes, recent },
      json: {
        counts,
        themes: themes.map((t) => ({ slug: t.slug, title: t.title, datasetCount: t.datasetCount, url: absolute(baseUrl, urls.theme(t.slug)) })),
        recentlyUpdated: recent.map((d) => ({ ...d, url: absolute(baseUrl, urls.dataset(d.slug)) })),
        search: absolute(baseUrl, urls.datasetsJson()),
      },
    };
  });

  page(router, '/datasets', async (req, res) => {
    const query = parseInput(searchQuerySchema, req.query);
    const result = await searchPublicDatasets(db, query);
    const title = query.q ? `Search results for ${query.q.slice(0, 80)}` : 'Datasets';
    if (wantsJson(res)) return { view: 'datasets', title, json: await searchBody(baseUrl, query, result) };
    return {
      view: 'datasets',
      title,
      locals: { query, ...(await searchFragments(req, query, result, urls.datasets(), true)) },
      json: null,
    };
  });

  page(router, '/datasets/:slug', async (req) => {
    const dataset = await findDataset(String(req.params.slug));
    const latest = dataset.releases.find((r) => r.status === 'published');
    const preview = latest ? await previewRows(db, latest, previewRowCount) : [];
    return {
      view: 'dataset',
      title: dataset.title,
      locals: { dataset, latest, preview },
      json: datasetJson(baseUrl, dataset, latest, preview),
    };
  });

  page(router, '/datasets/:slug/releases/:version', async (req) => {
    const dataset = await findDataset(String(req.params.slug));
    const version = versionParam.safeParse(req.params.version);
    const release: PublicRelease | undefined = version.success ? await getPublicRelease(db, dataset.id, version.data) : undefined;
    if (!release) throw new NotFoundError('Release not found');
    const preview = release.status === 'withdrawn' ? [] : await previewRows(db, release, previewRowCount);
    return {
      view: 'release',
      title: `${dataset.title}: version ${release.version}`,
      locals: { dataset, release, preview },
      json: releaseJson(baseUrl, dataset, release, preview),
    };
  });

  page(router, '/publishers', async () => {
    const publishers = await listPublishersWithCounts(db);
    return {
      view: 'publishers',
      title: 'Publishers',
      locals: { publishers },
      json: { publishers: publishers.map((p) => ({ ...p, id: undefined, url: absolute(baseUrl, urls.publisher(p.slug)) })) },
    };
  });

  const listing = async (filter: Partial<SearchQuery['filters']>, reqQuery: unknown) => {
    const base = parseInput(searchQuerySchema, reqQuery);
    const query: SearchQuery = { ...base, filters: { ...base.filters, ...filter } };
    return { query, result: await searchPublicDatasets(db, query) };
  };

  page(router, '/publishers/:slug', async (req, res) => {
    const slug = slugParam.safeParse(req.params.slug);
    const publisher = slug.success ? await getPublisherBySlug(db, slug.data) : undefined;
    if (!publisher) throw new NotFoundError('Publisher not found');
    const { query, result } = await listing({ publisher: [publisher.slug] }, req.query);
    if (wantsJson(res)) return { view: 'publisher', title: publisher.name, json: { publisher: { ...publisher, id: undefined }, ...(await searchBody(baseUrl, query, result)) } };
    return {
      view: 'publisher',
      title: publisher.name,
      locals: { publisher, ...(await searchFragments(req, query, result, urls.publisher(publisher.slug), false)) },
      json: null,
    };
  });

  page(router, '/themes', async () => {
    const themes = await listThemesWithCounts(db);
    return {
      view: 'themes',
      title: 'Themes',
      locals: { themes },
      json: { themes: themes.map((t) => ({ ...t, id: undefined, url: absolute(baseUrl, urls.theme(t.slug)) })) },
    };
  });

  page(router, '/themes/:slug', async (req, res) => {
    const slug = slugParam.safeParse(req.params.slug);
    const theme = slug.success ? await getThemeBySlug(db, slug.data) : undefined;
    if (!theme) throw new NotFoundError('Theme not found');
    const { query, result } = await listing({ theme: [theme.slug] }, req.query);
    if (wantsJson(res)) return { view: 'theme', title: theme.title, json: { theme: { ...theme, id: undefined }, ...(await searchBody(baseUrl, query, result)) } };
    return {
      view: 'theme',
      title: theme.title,
      locals: { theme, ...(await searchFragments(req, query, result, urls.theme(theme.slug), false)) },
      json: null,
    };
  });

  page(router, '/about/privacy', async () => ({
    view: 'about-privacy',
    title: 'How we protect personal data',
    json: {
      levels: ['public', 'personal', 'special_category', 'confidential'],
      summary:
        'Public data is published as it is. Personal and special category data is only ever published as protected derivatives after two stewards approve. Confidential data is never published.',
    },
  }));

  return router;
}

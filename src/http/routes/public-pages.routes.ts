import { Router } from 'express';
import { z } from 'zod';
import { facetNames, type PublicDataset, type PublicRelease, type SearchQuery } from '../../catalogue/catalogue.types';
import {
  catalogueCounts,
  getPublicDataset,
  getPublicRelease,
  previewRows,
  recentlyUpdated,
  searchPublicDatasets,
} from '../../catalogue/public-catalogue.repository';
import { getPublisherBySlug, getThemeBySlug, listPublishersWithCounts, listThemesWithCounts } from '../../catalogue/reference.repository';
import { SearchCache } from '../../catalogue/search-cache';
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

/** The public catalogue pages (DESIGN.md §6), each with its `.json` twin. Reads only public data. */
export function publicPagesRouter(deps: { db: Db; baseUrl: string; searchCacheSize: number }): Router {
  const { db, baseUrl } = deps;
  const router = Router();
  const searchCache = new SearchCache(deps.searchCacheSize);

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

  page(router, '/datasets', async (req) => {
    const query = parseInput(searchQuerySchema, req.query);
    const result = await searchPublicDatasets(db, query, searchCache);
    return {
      view: 'datasets',
      title: query.q ? `Search results for ${query.q.slice(0, 80)}` : 'Datasets',
      locals: { query, result, facetNames, pages: Math.max(1, Math.ceil(result.total / query.perPage)) },
      json: searchJson(baseUrl, query, result),
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
    return { query, result: await searchPublicDatasets(db, query, searchCache) };
  };

  page(router, '/publishers/:slug', async (req) => {
    const slug = slugParam.safeParse(req.params.slug);
    const publisher = slug.success ? await getPublisherBySlug(db, slug.data) : undefined;
    if (!publisher) throw new NotFoundError('Publisher not found');
    const { query, result } = await listing({ publisher: [publisher.slug] }, req.query);
    return {
      view: 'publisher',
      title: publisher.name,
      locals: { publisher, query, result, pages: Math.max(1, Math.ceil(result.total / query.perPage)) },
      json: { publisher: { ...publisher, id: undefined }, ...searchJson(baseUrl, query, result) },
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

  page(router, '/themes/:slug', async (req) => {
    const slug = slugParam.safeParse(req.params.slug);
    const theme = slug.success ? await getThemeBySlug(db, slug.data) : undefined;
    if (!theme) throw new NotFoundError('Theme not found');
    const { query, result } = await listing({ theme: [theme.slug] }, req.query);
    return {
      view: 'theme',
      title: theme.title,
      locals: { theme, query, result, pages: Math.max(1, Math.ceil(result.total / query.perPage)) },
      json: { theme: { ...theme, id: undefined }, ...searchJson(baseUrl, query, result) },
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

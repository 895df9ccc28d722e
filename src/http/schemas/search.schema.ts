import { z } from 'zod';
import { facetNames, searchSorts, type SearchQuery } from '../../catalogue/catalogue.types';
import { single, wholeNumber } from './query-params';

/** Longest search text accepted. */
export const maxQueryLength = 500;
const maxFacetValues = 20;

const facetValues = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(
    z
      .array(z.string().max(100, { message: 'each value must be at most 100 characters' }))
      .max(maxFacetValues, { message: `at most ${maxFacetValues} values` }),
  )
  .transform((vs) => [...new Set(vs.map((s) => s.trim()).filter(Boolean))]);


/** Query parameters of the catalogue search (`/datasets`, `/datasets.json`, `/api/v1/search`). */
export const searchQuerySchema = z
  .object({
    q: single(z.string().max(maxQueryLength, { message: `must be at most ${maxQueryLength} characters` }).default('')),
    sort: single(z.enum(searchSorts, { message: `must be one of ${searchSorts.join(', ')}` }).optional()),
    page: wholeNumber(1, 10000, 1),
    per_page: wholeNumber(1, 100, 20),
    ...Object.fromEntries(facetNames.map((n) => [n, facetValues])),
  })
  .transform(
    (v): SearchQuery => ({
      q: v.q.trim(),
      sort: v.sort ?? (v.q.trim() ? 'relevance' : 'updated'),
      page: v.page,
      perPage: v.per_page,
      filters: Object.fromEntries(facetNames.map((n) => [n, (v as Record<string, unknown>)[n] as string[]])) as SearchQuery['filters'],
    }),
  );

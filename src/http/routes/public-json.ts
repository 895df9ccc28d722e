import type { PublicDataset, PublicDatasetSummary, PublicRelease, SearchQuery, SearchResult } from '../../catalogue/catalogue.types';
import type { CellValue } from '../../catalogue/table-schema';
import { summaryFields } from '../../api/api-json';
import { absolute, urls } from '../urls';

/** JSON shapes of the public pages' `.json` twins: public fields only, absolute links. */

/** A dataset in a list (the fields it shares with the API: src/api/api-json.ts). */
export function summaryJson(baseUrl: string, d: PublicDatasetSummary) {
  return {
    ...summaryFields(d, absolute(baseUrl, urls.publisher(d.publisher.slug))),
    url: absolute(baseUrl, urls.dataset(d.slug)),
    json: absolute(baseUrl, urls.datasetJson(d.slug)),
  };
}

/** Search results with facets and page links. */
export function searchJson(baseUrl: string, query: SearchQuery, result: SearchResult) {
  const pages = Math.max(1, Math.ceil(result.total / query.perPage));
  const params = { q: query.q || undefined, sort: query.sort, per_page: query.perPage, ...query.filters };
  return {
    query: { q: query.q, sort: query.sort, page: query.page, perPage: query.perPage, filters: query.filters },
    total: result.total,
    pages,
    searchable: result.searchable,
    results: result.results.map((d) => summaryJson(baseUrl, d)),
    facets: result.facets,
    links: {
      self: absolute(baseUrl, urls.datasetsJson({ ...params, page: query.page })),
      next: query.page < pages ? absolute(baseUrl, urls.datasetsJson({ ...params, page: query.page + 1 })) : null,
      prev: query.page > 1 ? absolute(baseUrl, urls.datasetsJson({ ...params, page: Math.min(query.page - 1, pages) })) : null,
    },
  };
}

/** A release with its download links. */
/** The published protection summary: key figures and checks passed, never a data value. */
function publicProtectionJson(p: PublicRelease['protection']) {
  if (!p) return null;
  const pick = (k: string) => (p[k] === undefined ? null : p[k]);
  return { level: pick('level'), output: pick('output'), keyFigures: pick('keyFigures') ?? [], figures: pick('figures'), secondStewardApproved: pick('secondStewardApproved') ?? false, checksPassed: pick('checksPassed') ?? [] };
}

export function releaseSummaryJson(baseUrl: string, slug: string, r: PublicRelease) {
  const live = r.status !== 'withdrawn';
  return {
    version: r.version,
    status: r.status,
    published: r.publishedAt,
    rows: r.rowCount,
    bytes: r.byteSize,
    checksum: { algorithm: 'sha256', value: r.checksum },
    statement: r.statement,
    protection: publicProtectionJson(r.protection),
    notes: r.notes,
    withdrawnReason: r.withdrawnReason,
    downloads: r.downloadCount,
    url: absolute(baseUrl, urls.release(slug, r.version)),
    schema: { fields: r.columns.map((c) => ({ name: c.name, type: c.type, title: c.title, description: c.description, unit: c.unit })) },
    distributions: live
      ? {
          csv: absolute(baseUrl, urls.download(slug, r.version, 'csv')),
          json: absolute(baseUrl, urls.download(slug, r.version, 'json')),
          ndjson: absolute(baseUrl, urls.download(slug, r.version, 'ndjson')),
        }
      : null,
  };
}

/** A dataset's page data. */
export function datasetJson(baseUrl: string, d: PublicDataset, latest: PublicRelease | undefined, preview: CellValue[][]) {
  return {
    ...summaryJson(baseUrl, d),
    description: d.description,
    updateFrequency: d.updateFrequency,
    temporalCoverage: { start: d.temporalStart, end: d.temporalEnd },
    spatialCoverage: d.spatialCoverage,
    contactPoint: { name: d.contactName, email: d.contactEmail },
    accessRequest: d.metadataOnly ? d.accessRequest : undefined,
    licence: d.licence,
    themes: d.themes.map((t) => ({ ...t, url: absolute(baseUrl, urls.theme(t.slug)) })),
    keywords: d.keywords,
    formats: d.formats,
    latestRelease: latest ? releaseSummaryJson(baseUrl, d.slug, latest) : null,
    preview: latest ? { columns: latest.columns.map((c) => c.name), rows: preview } : null,
    releases: d.releases.map((r) => releaseSummaryJson(baseUrl, d.slug, r)),
  };
}

/** One release's page data. */
export function releaseJson(baseUrl: string, d: PublicDataset, r: PublicRelease, preview: CellValue[][]) {
  return {
    dataset: summaryJson(baseUrl, d),
    release: releaseSummaryJson(baseUrl, d.slug, r),
    preview: r.status === 'withdrawn' ? null : { columns: r.columns.map((c) => c.name), rows: preview },
  };
}

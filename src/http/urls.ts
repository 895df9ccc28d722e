/**
 * The one URL builder. Public URLs are an API (DESIGN.md §6): every link the portal renders or
 * returns comes from here, so changing a route changes it everywhere.
 */

type QueryValue = string | number | undefined | null | Array<string | number>;

/** Appends a query string built from defined values (arrays repeat the key). */
export function withQuery(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => params.append(k, String(x)));
    else params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

const enc = encodeURIComponent;

/** Builders for every public route. */
export const urls = {
  home: () => '/',
  homeJson: () => '/index.json',
  datasets: (query: Record<string, QueryValue> = {}) => withQuery('/datasets', query),
  datasetsJson: (query: Record<string, QueryValue> = {}) => withQuery('/datasets.json', query),
  dataset: (slug: string) => `/datasets/${enc(slug)}`,
  datasetJson: (slug: string) => `/datasets/${enc(slug)}.json`,
  release: (slug: string, version: number | 'latest') => `/datasets/${enc(slug)}/releases/${version}`,
  releaseJson: (slug: string, version: number | 'latest') => `/datasets/${enc(slug)}/releases/${version}.json`,
  download: (slug: string, version: number | 'latest', format: 'csv' | 'json' | 'ndjson') =>
    `/datasets/${enc(slug)}/releases/${version}/data.${format}`,
  datapackage: (slug: string, version: number | 'latest') => `/datasets/${enc(slug)}/releases/${version}/datapackage.json`,
  publishers: () => '/publishers',
  publisher: (slug: string) => `/publishers/${enc(slug)}`,
  themes: () => '/themes',
  theme: (slug: string) => `/themes/${enc(slug)}`,
  aboutPrivacy: () => '/about/privacy',
  datasetTtl: (slug: string) => `/datasets/${enc(slug)}.ttl`,
  datasetJsonld: (slug: string) => `/datasets/${enc(slug)}.jsonld`,
  catalog: () => '/catalog',
  catalogTtl: (query: Record<string, QueryValue> = {}) => withQuery('/catalog.ttl', query),
  catalogJsonld: (query: Record<string, QueryValue> = {}) => withQuery('/catalog.jsonld', query),
  dataJson: () => '/data.json',
  apiDocs: () => '/api',
  apiV1: () => '/api/v1',
  openapi: () => '/api/v1/openapi.json',
  api: (path: string, query: Record<string, QueryValue> = {}) => withQuery(`/api/v1${path}`, query),
  ckanAction: (action: string, query: Record<string, QueryValue> = {}) => withQuery(`/api/3/action/${enc(action)}`, query),
  assets: (file: string) => `/assets/${file}`,
  manageDataset: (slug: string) => `/manage/datasets/${enc(slug)}`,
  manageUpload: (slug: string) => `/manage/datasets/${enc(slug)}/upload`,
  manageSources: (slug: string) => `/manage/datasets/${enc(slug)}/sources`,
  manageSource: (slug: string, version: number | 'latest') => `/manage/datasets/${enc(slug)}/sources/${version}`,
  manageSourceJson: (slug: string, version: number | 'latest') => `/manage/datasets/${enc(slug)}/sources/${version}.json`,
  manageSourcePurge: (slug: string, version: number) => `/manage/datasets/${enc(slug)}/sources/${version}/purge`,
  manageClassification: (slug: string) => `/manage/datasets/${enc(slug)}/classification`,
  manageClassificationJson: (slug: string) => `/manage/datasets/${enc(slug)}/classification.json`,
  managePolicy: (slug: string) => `/manage/datasets/${enc(slug)}/policy`,
  manageRelease: (slug: string) => `/manage/datasets/${enc(slug)}/release`,
  manageReleaseAction: (slug: string, action: string) => `/manage/datasets/${enc(slug)}/release/${action}`,
  managePreviewJob: (slug: string, job: string) => `/manage/datasets/${enc(slug)}/release/preview/${enc(job)}`,
  manageWithdraw: (slug: string, version: number) => `/manage/datasets/${enc(slug)}/releases/${version}/withdraw`,
  manageReviews: () => '/manage/reviews',
  apiManageRelease: (slug: string) => `/api/v1/manage/datasets/${enc(slug)}/release`,
  apiManagePreviewJob: (slug: string, job: string) => `/api/v1/manage/datasets/${enc(slug)}/preview/${enc(job)}`,
  apiManageSources: (slug: string) => `/api/v1/manage/datasets/${enc(slug)}/sources`,
  apiManageSource: (slug: string, version: number | 'latest') => `/api/v1/manage/datasets/${enc(slug)}/sources/${version}`,
  apiManageClassification: (slug: string) => `/api/v1/manage/datasets/${enc(slug)}/classification`,
  apiManagePolicy: (slug: string) => `/api/v1/manage/datasets/${enc(slug)}/policy`,
};

/** The absolute form of a path on this deployment. */
export function absolute(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}

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
  assets: (file: string) => `/assets/${file}`,
};

/** The absolute form of a path on this deployment. */
export function absolute(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}

import type { PublicDataset, PublicDatasetSummary, PublicRelease, Publisher, Theme } from '../catalogue/catalogue.types';
import { absolute, urls } from '../http/urls';

/** The API v1's JSON shapes (see src/http/schemas/api.schema.ts): absolute links, public fields only. */

/**
 * The fields of a dataset summary shared by the API and the public pages' `.json` twins; each adds
 * its own links (`publisherUrl` is the API's or the HTML publisher page).
 */
export function summaryFields(d: PublicDatasetSummary, publisherUrl: string) {
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    publisher: { slug: d.publisher.slug, name: d.publisher.name, url: publisherUrl },
    licence: d.licenceId,
    sensitivityLevel: d.sensitivityLevel,
    metadataOnly: d.metadataOnly,
    modified: d.modifiedAt,
    published: d.publishedAt,
    downloads: d.downloadCount,
  };
}

/** A dataset in a list. */
export function apiSummaryJson(baseUrl: string, d: PublicDatasetSummary) {
  return {
    ...summaryFields(d, absolute(baseUrl, urls.api(`/publishers/${encodeURIComponent(d.publisher.slug)}`))),
    links: {
      self: absolute(baseUrl, urls.api(`/datasets/${encodeURIComponent(d.slug)}`)),
      html: absolute(baseUrl, urls.dataset(d.slug)),
      releases: absolute(baseUrl, urls.api(`/datasets/${encodeURIComponent(d.slug)}/releases`)),
    },
  };
}

/** A release with its download links (none when withdrawn). */
export function apiReleaseJson(baseUrl: string, slug: string, r: PublicRelease) {
  const live = r.status !== 'withdrawn';
  return {
    version: r.version,
    status: r.status,
    published: r.publishedAt,
    rows: r.rowCount,
    bytes: r.byteSize,
    checksum: { algorithm: 'sha256' as const, value: r.checksum },
    statement: r.statement,
    notes: r.notes,
    withdrawnReason: r.withdrawnReason,
    downloads: r.downloadCount,
    schema: {
      fields: r.columns.map((c) => ({
        name: c.name,
        type: c.type,
        ...(c.title ? { title: c.title } : {}),
        ...(c.description ? { description: c.description } : {}),
        ...(c.unit ? { unit: c.unit } : {}),
      })),
    },
    links: {
      self: absolute(baseUrl, urls.api(`/datasets/${encodeURIComponent(slug)}/releases/${r.version}`)),
      html: absolute(baseUrl, urls.release(slug, r.version)),
      csv: live ? absolute(baseUrl, urls.download(slug, r.version, 'csv')) : null,
      json: live ? absolute(baseUrl, urls.download(slug, r.version, 'json')) : null,
      ndjson: live ? absolute(baseUrl, urls.download(slug, r.version, 'ndjson')) : null,
      datapackage: live ? absolute(baseUrl, urls.datapackage(slug, r.version)) : null,
    },
  };
}

/** A dataset with its metadata and current release. */
export function apiDatasetJson(baseUrl: string, d: PublicDataset) {
  const latest = d.releases.find((r) => r.status === 'published');
  return {
    ...apiSummaryJson(baseUrl, d),
    description: d.description,
    updateFrequency: d.updateFrequency,
    temporalCoverage: { start: d.temporalStart, end: d.temporalEnd },
    spatialCoverage: d.spatialCoverage,
    contactPoint: { name: d.contactName, email: d.contactEmail },
    ...(d.metadataOnly ? { accessRequest: d.accessRequest } : {}),
    licenceDetails: d.licence,
    themes: d.themes.map((t) => ({ ...t, url: absolute(baseUrl, urls.api(`/themes/${encodeURIComponent(t.slug)}`)) })),
    keywords: d.keywords,
    formats: d.formats,
    latestRelease: latest ? apiReleaseJson(baseUrl, d.slug, latest) : null,
  };
}

/** A publisher with its number of public datasets. */
export function apiPublisherJson(baseUrl: string, p: Publisher & { datasetCount: number }) {
  return {
    slug: p.slug,
    name: p.name,
    description: p.description,
    kind: p.kind,
    homepageUrl: p.homepageUrl,
    datasetCount: p.datasetCount,
    links: {
      self: absolute(baseUrl, urls.api(`/publishers/${encodeURIComponent(p.slug)}`)),
      html: absolute(baseUrl, urls.publisher(p.slug)),
      datasets: absolute(baseUrl, urls.api('/datasets', { publisher: p.slug })),
    },
  };
}

/** A theme with its number of public datasets. */
export function apiThemeJson(baseUrl: string, t: Theme & { datasetCount: number }) {
  return {
    slug: t.slug,
    title: t.title,
    description: t.description,
    datasetCount: t.datasetCount,
    links: {
      self: absolute(baseUrl, urls.api(`/themes/${encodeURIComponent(t.slug)}`)),
      html: absolute(baseUrl, urls.theme(t.slug)),
      datasets: absolute(baseUrl, urls.api('/datasets', { theme: t.slug })),
    },
  };
}

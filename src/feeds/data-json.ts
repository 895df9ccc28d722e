import type { PublicDataset } from '../catalogue/catalogue.types';
import { absolute, urls } from '../http/urls';

/**
 * Project Open Data v1.1 (`/data.json`), for US-style harvesters such as data.gov's. The schema
 * requires the federal bureauCode and programCode on every dataset; Plaza, not being a federal
 * agency, gives the placeholders non-federal publishers use ("000:00", "000:000").
 */

const bureauCode = ['000:00'];
const programCode = ['000:000'];

const periodicity: Record<string, string | null> = {
  continuous: 'R/PT1S',
  hourly: 'R/PT1H',
  daily: 'R/P1D',
  weekly: 'R/P1W',
  monthly: 'R/P1M',
  quarterly: 'R/P3M',
  annual: 'R/P1Y',
  irregular: 'irregular',
  never: null,
};

/** POD access level of a dataset: confidential (metadata-only) entries are non-public. */
export function accessLevelOf(d: Pick<PublicDataset, 'sensitivityLevel' | 'metadataOnly'>): 'public' | 'restricted public' | 'non-public' {
  if (d.metadataOnly || d.sensitivityLevel === 'confidential') return 'non-public';
  return 'public';
}

function podDataset(baseUrl: string, portalName: string, d: PublicDataset): Record<string, unknown> {
  const current = d.releases.find((r) => r.status === 'published');
  const accessLevel = accessLevelOf(d);
  const rights =
    accessLevel === 'non-public'
      ? `This data is confidential and is not published. ${d.accessRequest || ''}`.trim()
      : d.sensitivityLevel !== 'public'
        ? (current?.statement || 'Published only in a protected form.')
        : undefined;
  const email = d.contactEmail ?? 'opendata@example.invalid';
  return {
    '@type': 'dcat:Dataset',
    title: d.title,
    description: d.description || d.summary || d.title,
    keyword: d.keywords.length ? d.keywords : [d.publisher.name],
    modified: new Date(d.modifiedAt).toISOString(),
    issued: new Date(d.publishedAt).toISOString(),
    publisher: { '@type': 'org:Organization', name: d.publisher.name, subOrganizationOf: { '@type': 'org:Organization', name: portalName } },
    contactPoint: { '@type': 'vcard:Contact', fn: d.contactName ?? d.publisher.name, hasEmail: `mailto:${email}` },
    identifier: absolute(baseUrl, urls.dataset(d.slug)),
    accessLevel,
    ...(rights ? { rights: rights.slice(0, 255) } : {}),
    bureauCode,
    programCode,
    license: d.licence.url,
    landingPage: absolute(baseUrl, urls.dataset(d.slug)),
    language: ['en-GB'],
    ...(d.spatialCoverage ? { spatial: d.spatialCoverage } : {}),
    ...(d.temporalStart && d.temporalEnd ? { temporal: `${d.temporalStart}/${d.temporalEnd}` } : {}),
    ...(periodicity[d.updateFrequency] !== undefined && periodicity[d.updateFrequency] !== null ? { accrualPeriodicity: periodicity[d.updateFrequency] } : {}),
    ...(d.themes.length ? { theme: d.themes.map((t) => t.title) } : {}),
    ...(current
      ? {
          describedBy: absolute(baseUrl, urls.datapackage(d.slug, current.version)),
          describedByType: 'application/json',
          distribution: [
            { f: 'csv' as const, mediaType: 'text/csv', format: 'CSV' },
            { f: 'json' as const, mediaType: 'application/json', format: 'JSON' },
            { f: 'ndjson' as const, mediaType: 'application/x-ndjson', format: 'NDJSON' },
          ].map((x) => ({
            '@type': 'dcat:Distribution',
            title: `${d.title}, version ${current.version} (${x.format})`,
            downloadURL: absolute(baseUrl, urls.download(d.slug, current.version, x.f)),
            mediaType: x.mediaType,
            format: x.format,
            describedBy: absolute(baseUrl, urls.datapackage(d.slug, current.version)),
            describedByType: 'application/json',
          })),
        }
      : {}),
  };
}

/** The whole catalogue as a POD 1.1 document. */
export function dataJson(baseUrl: string, portalName: string, datasets: PublicDataset[]): Record<string, unknown> {
  return {
    '@context': 'https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld',
    '@id': absolute(baseUrl, urls.dataJson()),
    '@type': 'dcat:Catalog',
    conformsTo: 'https://project-open-data.cio.gov/v1.1/schema',
    describedBy: 'https://project-open-data.cio.gov/v1.1/schema/catalog.json',
    dataset: datasets.map((d) => podDataset(baseUrl, portalName, d)),
  };
}

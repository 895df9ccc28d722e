import type { Licence, PublicDataset, PublicRelease, Publisher, Theme } from '../catalogue/catalogue.types';
import type { ColumnSchema } from '../catalogue/table-schema';
import { absolute, urls } from '../http/urls';

/**
 * CKAN's dictionaries (CKAN 2.10 field names and types) for Plaza's catalogue, so CKAN clients
 * (ckanapi, ckanr, harvesters) work unchanged. Ids are UUID-shaped and reversible: the first
 * group names the kind, the fourth the resource format, the last the Plaza id in hex.
 */

const kinds = { package: 1, resource: 2, organization: 3, group: 4 } as const;
type Kind = keyof typeof kinds;
/** Resource formats in position order. */
export const resourceFormats = ['csv', 'json', 'ndjson'] as const;
export type ResourceFormat = (typeof resourceFormats)[number];

/** A CKAN-style id for a Plaza object. */
export function ckanId(kind: Kind, id: number, format: ResourceFormat = 'csv'): string {
  return `d47a000${kinds[kind]}-0000-4000-800${resourceFormats.indexOf(format)}-${id.toString(16).padStart(12, '0')}`;
}

/** Decodes an id made by ckanId, or undefined. */
export function parseCkanId(value: string): { kind: Kind; id: number; format: ResourceFormat } | undefined {
  const m = /^d47a000([1-4])-0000-4000-800([0-2])-([0-9a-f]{12})$/.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const kind = (Object.keys(kinds) as Kind[]).find((k) => kinds[k] === Number(m[1]))!;
  return { kind, id: parseInt(m[3], 16), format: resourceFormats[Number(m[2])] };
}

/** CKAN writes timestamps as ISO 8601 without a zone (UTC). */
export const ckanTime = (iso: string | null | undefined): string | null => (iso ? new Date(iso).toISOString().replace(/Z$/, '') : null);

const mimetypes: Record<ResourceFormat, string> = { csv: 'text/csv', json: 'application/json', ndjson: 'application/x-ndjson' };

/** A release's resource in one format. */
export function resourceDict(baseUrl: string, datasetId: number, slug: string, title: string, r: PublicRelease, format: ResourceFormat) {
  return {
    id: ckanId('resource', r.id, format),
    package_id: ckanId('package', datasetId),
    name: `${title}, version ${r.version} (${format.toUpperCase()})`,
    description: r.statement || `Version ${r.version}, ${r.rowCount} rows.`,
    format: format.toUpperCase(),
    url: absolute(baseUrl, urls.download(slug, r.version, format)),
    mimetype: mimetypes[format],
    mimetype_inner: null,
    size: format === 'csv' ? r.byteSize : null,
    hash: format === 'csv' ? r.checksum : '',
    created: ckanTime(r.publishedAt),
    last_modified: ckanTime(r.publishedAt),
    metadata_modified: ckanTime(r.publishedAt),
    position: resourceFormats.indexOf(format),
    state: 'active',
    url_type: null,
    resource_type: null,
    cache_url: null,
    cache_last_updated: null,
    datastore_active: r.status !== 'withdrawn',
    plaza_version: r.version,
    plaza_status: r.status,
  };
}

/** An organization (a publisher). */
export function organizationDict(p: Pick<Publisher, 'id' | 'slug' | 'name' | 'description'>, packageCount?: number) {
  return {
    id: ckanId('organization', p.id),
    name: p.slug,
    title: p.name,
    display_name: p.name,
    description: p.description ?? '',
    image_url: '',
    image_display_url: '',
    created: null,
    is_organization: true,
    approval_status: 'approved',
    state: 'active',
    type: 'organization',
    ...(packageCount !== undefined ? { package_count: packageCount } : {}),
  };
}

/** A group (a theme). */
export function groupDict(t: Pick<Theme, 'id' | 'slug' | 'title' | 'description'>, packageCount?: number) {
  return {
    id: ckanId('group', t.id),
    name: t.slug,
    title: t.title,
    display_name: t.title,
    description: t.description ?? '',
    image_url: '',
    image_display_url: '',
    created: null,
    is_organization: false,
    approval_status: 'approved',
    state: 'active',
    type: 'group',
    ...(packageCount !== undefined ? { package_count: packageCount } : {}),
  };
}

/** A tag (a keyword). */
export function tagDict(name: string) {
  return { id: name, name, display_name: name, vocabulary_id: null, state: 'active' };
}

/** A licence as license_list returns it. */
export function licenceDict(l: Licence) {
  return {
    id: l.id,
    title: l.title,
    url: l.url,
    status: 'active',
    maintainer: '',
    family: '',
    domain_content: l.isOpen,
    domain_data: l.isOpen,
    domain_software: false,
    od_conformance: l.isOpen ? 'approved' : 'not reviewed',
    osd_conformance: 'not reviewed',
    is_generic: false,
    is_okd_compliant: l.isOpen,
    is_osi_compliant: false,
  };
}

/** A package (a dataset) with its current release's resources. */
export function packageDict(baseUrl: string, d: PublicDataset, publisherId: number, themeIds: Map<string, number>) {
  const current = d.releases.find((r) => r.status === 'published');
  const resources = current ? resourceFormats.map((f) => resourceDict(baseUrl, d.id, d.slug, d.title, current, f)) : [];
  const extras: Array<{ key: string; value: string }> = [
    { key: 'sensitivity_level', value: d.sensitivityLevel },
    { key: 'update_frequency', value: d.updateFrequency },
  ];
  if (d.temporalStart) extras.push({ key: 'temporal_start', value: d.temporalStart });
  if (d.temporalEnd) extras.push({ key: 'temporal_end', value: d.temporalEnd });
  if (d.spatialCoverage) extras.push({ key: 'spatial_text', value: d.spatialCoverage });
  if (current?.statement) extras.push({ key: 'protection_statement', value: current.statement });
  if (d.metadataOnly && d.accessRequest) extras.push({ key: 'access_request', value: d.accessRequest });
  return {
    id: ckanId('package', d.id),
    name: d.slug,
    title: d.title,
    notes: d.description,
    url: absolute(baseUrl, urls.dataset(d.slug)),
    version: current ? String(current.version) : null,
    author: d.publisher.name,
    author_email: null,
    maintainer: d.contactName,
    maintainer_email: d.contactEmail,
    license_id: d.licence.id,
    license_title: d.licence.title,
    license_url: d.licence.url,
    isopen: d.licence.isOpen,
    private: false,
    state: 'active',
    type: 'dataset',
    metadata_created: ckanTime(d.publishedAt),
    metadata_modified: ckanTime(d.modifiedAt),
    creator_user_id: null,
    owner_org: ckanId('organization', publisherId),
    organization: organizationDict({ id: publisherId, slug: d.publisher.slug, name: d.publisher.name, description: '' }),
    groups: d.themes.map((t) => groupDict({ id: themeIds.get(t.slug) ?? 0, slug: t.slug, title: t.title, description: '' })),
    tags: d.keywords.map(tagDict),
    num_tags: d.keywords.length,
    resources,
    num_resources: resources.length,
    extras,
    relationships_as_object: [],
    relationships_as_subject: [],
  };
}

/** CKAN DataStore field types of Plaza's column types. */
export function datastoreType(c: ColumnSchema): string {
  switch (c.type) {
    case 'integer':
      return 'int';
    case 'number':
      return 'numeric';
    case 'boolean':
      return 'bool';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    default:
      return 'text';
  }
}

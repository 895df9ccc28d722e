import type { ColumnSchema, SensitivityLevel } from './table-schema';

/** A council department or partner organisation that publishes datasets. */
export interface Publisher {
  id: number;
  slug: string;
  name: string;
  description: string;
  kind: string;
  homepageUrl: string | null;
  email: string | null;
}

/** A theme (topic) datasets are filed under. */
export interface Theme {
  id: number;
  slug: string;
  title: string;
  description: string;
}

/** A licence from the register. */
export interface Licence {
  id: string;
  title: string;
  url: string;
  isOpen: boolean;
}

/** How often a dataset is updated (DCAT frequency vocabulary, simplified). */
export const updateFrequencies = [
  'continuous',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'annual',
  'irregular',
  'never',
] as const;
export type UpdateFrequency = (typeof updateFrequencies)[number];

/** A dataset as listed in search results. */
export interface PublicDatasetSummary {
  id: number;
  slug: string;
  title: string;
  summary: string;
  publisher: { slug: string; name: string };
  licenceId: string;
  sensitivityLevel: SensitivityLevel;
  metadataOnly: boolean;
  modifiedAt: string;
  publishedAt: string;
  downloadCount: number;
}

/** A published release as the public sees it. */
export interface PublicRelease {
  id: number;
  version: number;
  status: 'published' | 'superseded' | 'withdrawn';
  rowCount: number;
  columns: ColumnSchema[];
  checksum: string;
  byteSize: number;
  statement: string;
  protection: Record<string, unknown> | null;
  notes: string;
  withdrawnReason: string | null;
  publishedAt: string;
  downloadCount: number;
  tableName: string;
}

/** A dataset's full published metadata. */
export interface PublicDataset extends PublicDatasetSummary {
  description: string;
  updateFrequency: string;
  temporalStart: string | null;
  temporalEnd: string | null;
  spatialCoverage: string | null;
  contactName: string | null;
  contactEmail: string | null;
  accessRequest: string;
  createdAt: string;
  licence: Licence;
  themes: Array<{ slug: string; title: string }>;
  keywords: string[];
  formats: string[];
  releases: PublicRelease[];
}

/** Sort orders of the catalogue search. */
export const searchSorts = ['relevance', 'updated', 'title', 'downloads'] as const;
export type SearchSort = (typeof searchSorts)[number];

/** Facets of the catalogue search, each filterable with one or more values (OR within a facet). */
export const facetNames = ['theme', 'publisher', 'licence', 'format', 'level', 'keyword'] as const;
export type FacetName = (typeof facetNames)[number];

/** A validated search request. */
export interface SearchQuery {
  q: string;
  filters: Record<FacetName, string[]>;
  sort: SearchSort;
  page: number;
  perPage: number;
}

/** One value of a facet with the number of matching datasets. */
export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

/** Search results with facet counts over the whole result set. */
export interface SearchResult {
  total: number;
  results: PublicDatasetSummary[];
  facets: Record<FacetName, FacetValue[]>;
  /** False when the query had text but no searchable words (then nothing matches). */
  searchable: boolean;
}

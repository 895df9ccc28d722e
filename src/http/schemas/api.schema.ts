import { z } from 'zod';
import { sensitivityLevels } from '../../catalogue/table-schema';
import { single, slugSchema, wholeNumber } from './query-params';

/**
 * The REST API v1's schemas: the query schemas the routes validate with, and the response shapes
 * the OpenAPI document (src/api/openapi.ts) is generated from. The search itself is validated
 * with the catalogue's searchQuerySchema, so the API has exactly the search pages' facets.
 */


/** Cursor pagination parameters shared by every list. */
export const pageQuerySchema = z.object({
  cursor: single(z.string().max(500, { message: 'must be at most 500 characters' }).optional()).describe('Opaque cursor from a previous page\u2019s `links.next`.'),
  limit: wholeNumber(1, 100, 20).describe('Items per page (1–100).'),
});

/** Path parameters. */
export { slugSchema };
export const versionSchema = z.union([z.literal('latest'), z.coerce.number().int().min(1).max(1_000_000)]);

const links = z.object({ self: z.url(), next: z.url().nullable().optional() }).catchall(z.url().nullable());

/** A link to a related resource. */
const ref = z.object({ slug: z.string(), name: z.string(), url: z.url() });

/** A dataset in a list. */
export const apiDatasetSummary = z.object({
  slug: z.string(),
  title: z.string(),
  summary: z.string(),
  publisher: ref,
  licence: z.string(),
  sensitivityLevel: z.enum(sensitivityLevels),
  metadataOnly: z.boolean(),
  modified: z.string(),
  published: z.string(),
  downloads: z.number().int(),
  links: z.object({ self: z.url(), html: z.url(), releases: z.url() }),
});

/** A column of a release (Frictionless Table Schema field). */
export const apiField = z.object({
  name: z.string(),
  type: z.enum(['integer', 'number', 'boolean', 'date', 'datetime', 'string']),
  title: z.string().optional(),
  description: z.string().optional(),
  unit: z.string().optional(),
});

/** A release. */
export const apiRelease = z.object({
  version: z.number().int(),
  status: z.enum(['published', 'superseded', 'withdrawn']),
  published: z.string(),
  rows: z.number().int(),
  bytes: z.number().int(),
  checksum: z.object({ algorithm: z.literal('sha256'), value: z.string() }),
  statement: z.string(),
  notes: z.string(),
  withdrawnReason: z.string().nullable(),
  downloads: z.number().int(),
  schema: z.object({ fields: z.array(apiField) }),
  links: z.object({
    self: z.url(),
    html: z.url(),
    csv: z.url().nullable(),
    json: z.url().nullable(),
    ndjson: z.url().nullable(),
    datapackage: z.url().nullable(),
  }),
});

/** A dataset with its metadata. */
export const apiDataset = apiDatasetSummary.extend({
  description: z.string(),
  updateFrequency: z.string(),
  temporalCoverage: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  spatialCoverage: z.string().nullable(),
  contactPoint: z.object({ name: z.string().nullable(), email: z.string().nullable() }),
  accessRequest: z.string().optional(),
  licenceDetails: z.object({ id: z.string(), title: z.string(), url: z.string(), isOpen: z.boolean() }),
  themes: z.array(z.object({ slug: z.string(), title: z.string(), url: z.url() })),
  keywords: z.array(z.string()),
  formats: z.array(z.string()),
  latestRelease: apiRelease.nullable(),
});

/** A publisher. */
export const apiPublisher = z.object({
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  kind: z.string(),
  homepageUrl: z.string().nullable(),
  datasetCount: z.number().int(),
  links: z.object({ self: z.url(), html: z.url(), datasets: z.url() }),
});

/** A theme. */
export const apiTheme = z.object({
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  datasetCount: z.number().int(),
  links: z.object({ self: z.url(), html: z.url(), datasets: z.url() }),
});

/** A facet value with its count. */
const facetValue = z.object({ value: z.string(), label: z.string(), count: z.number().int() });

/** The envelope of a list. */
export const listEnvelope = <T extends z.ZodType>(item: T, meta: z.ZodObject = z.object({})) =>
  z.object({
    data: z.array(item),
    meta: meta.extend({ limit: z.number().int(), total: z.number().int().optional() }),
    links,
  });

/** The envelope of one item. */
export const itemEnvelope = <T extends z.ZodType>(item: T) => z.object({ data: item, links });

/** Search results: datasets with the catalogue's facet counts. */
export const searchEnvelope = listEnvelope(
  apiDatasetSummary,
  z.object({ q: z.string(), sort: z.string(), facets: z.record(z.string(), z.array(facetValue)) }),
);

/** The one error body. */
export const apiError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  status: z.number().int(),
  requestId: z.string().optional(),
});

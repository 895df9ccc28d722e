import { z } from 'zod';
import { searchQuerySchema } from '../http/schemas/search.schema';
import {
  apiDataset,
  apiError,
  apiPublisher,
  apiRelease,
  apiTheme,
  itemEnvelope,
  listEnvelope,
  pageQuerySchema,
  searchEnvelope,
} from '../http/schemas/api.schema';

/**
 * The OpenAPI 3.1 document of API v1, generated from the zod schemas the routes validate with
 * (query parameters) and build their responses to (components), so the description cannot drift
 * from the code. JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, which z.toJSONSchema writes.
 */

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  return s;
}

interface ParamDoc {
  name: string;
  in: 'query' | 'path';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/** Query parameters of an object schema, as OpenAPI parameter objects. */
function queryParams(schema: z.ZodType, omit: string[] = [], descriptions: Record<string, string> = {}): ParamDoc[] {
  const s = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(s.properties ?? {})
    .filter(([name]) => !omit.includes(name))
    .map(([name, prop]) => {
      const { description, ...rest } = prop as JsonSchema & { description?: string };
      return {
        name,
        in: 'query' as const,
        required: (s.required ?? []).includes(name) && !('default' in prop),
        description: description ?? descriptions[name],
        schema: rest,
      };
    });
}

const slugPath = (name: string, description: string): ParamDoc => ({ name, in: 'path', required: true, description, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,99}$' } });

const facetHelp: Record<string, string> = {
  q: 'Free-text search over titles, summaries, descriptions, keywords, publishers and themes.',
  sort: 'Order: relevance (default with q), updated (default without), title, downloads.',
  theme: 'Theme slug; repeat for several (OR).',
  publisher: 'Publisher slug; repeat for several (OR).',
  licence: 'Licence id; repeat for several (OR).',
  format: 'Download format (CSV, JSON, NDJSON); repeat for several (OR).',
  level: 'Sensitivity level; repeat for several (OR).',
  keyword: 'Keyword; repeat to require several (AND).',
};

function ok(description: string, ref: string) {
  return { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } };
}
const errors = {
  '400': { description: 'A parameter is invalid; the message names it.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  '404': { description: 'No such resource.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
};

/** Builds the OpenAPI document for a deployment. */
export function openApiDocument(baseUrl: string, title: string): JsonSchema {
  const page = queryParams(pageQuerySchema);
  const search = queryParams(searchQuerySchema, ['page', 'per_page'], facetHelp);
  return {
    openapi: '3.1.0',
    info: {
      title: `${title} API`,
      version: '1.0.0',
      description:
        'Read-only access to the public catalogue. Lists use cursor pagination: follow `links.next` until it is null. ' +
        'Errors share one body: `{ error: { code, message }, status }`. Data files are streamed at the `links.csv|json|ndjson` URLs of a release.',
      license: { name: 'Data: see each dataset\u2019s licence' },
    },
    servers: [{ url: baseUrl.replace(/\/+$/, '') + '/api/v1' }],
    paths: {
      '/datasets': {
        get: {
          operationId: 'searchDatasets',
          summary: 'Search datasets, with facet counts',
          parameters: [...search, ...page],
          responses: { '200': ok('A page of datasets', 'DatasetList'), '400': errors['400'] },
        },
      },
      '/datasets/{slug}': {
        get: {
          operationId: 'getDataset',
          summary: 'One dataset with its metadata and current release',
          parameters: [slugPath('slug', 'Dataset slug')],
          responses: { '200': ok('The dataset', 'DatasetItem'), '404': errors['404'] },
        },
      },
      '/datasets/{slug}/releases': {
        get: {
          operationId: 'listReleases',
          summary: 'A dataset\u2019s releases, newest first',
          parameters: [slugPath('slug', 'Dataset slug'), ...page],
          responses: { '200': ok('A page of releases', 'ReleaseList'), '400': errors['400'], '404': errors['404'] },
        },
      },
      '/datasets/{slug}/releases/{version}': {
        get: {
          operationId: 'getRelease',
          summary: 'One release (`latest` for the current one)',
          parameters: [
            slugPath('slug', 'Dataset slug'),
            { name: 'version', in: 'path', required: true, description: 'Version number or `latest`', schema: { anyOf: [{ type: 'integer', minimum: 1 }, { const: 'latest' }] } },
          ],
          responses: { '200': ok('The release', 'ReleaseItem'), '404': errors['404'] },
        },
      },
      '/publishers': {
        get: { operationId: 'listPublishers', summary: 'Publishers', parameters: page, responses: { '200': ok('A page of publishers', 'PublisherList'), '400': errors['400'] } },
      },
      '/publishers/{slug}': {
        get: { operationId: 'getPublisher', summary: 'One publisher', parameters: [slugPath('slug', 'Publisher slug')], responses: { '200': ok('The publisher', 'PublisherItem'), '404': errors['404'] } },
      },
      '/themes': {
        get: { operationId: 'listThemes', summary: 'Themes', parameters: page, responses: { '200': ok('A page of themes', 'ThemeList'), '400': errors['400'] } },
      },
      '/themes/{slug}': {
        get: { operationId: 'getTheme', summary: 'One theme', parameters: [slugPath('slug', 'Theme slug')], responses: { '200': ok('The theme', 'ThemeItem'), '404': errors['404'] } },
      },
    },
    components: {
      schemas: {
        Dataset: schemaOf(apiDataset, 'output'),
        Release: schemaOf(apiRelease, 'output'),
        Publisher: schemaOf(apiPublisher, 'output'),
        Theme: schemaOf(apiTheme, 'output'),
        DatasetList: schemaOf(searchEnvelope, 'output'),
        DatasetItem: schemaOf(itemEnvelope(apiDataset), 'output'),
        ReleaseList: schemaOf(listEnvelope(apiRelease), 'output'),
        ReleaseItem: schemaOf(itemEnvelope(apiRelease), 'output'),
        PublisherList: schemaOf(listEnvelope(apiPublisher), 'output'),
        PublisherItem: schemaOf(itemEnvelope(apiPublisher), 'output'),
        ThemeList: schemaOf(listEnvelope(apiTheme), 'output'),
        ThemeItem: schemaOf(itemEnvelope(apiTheme), 'output'),
        Error: schemaOf(apiError, 'output'),
      },
    },
  };
}

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
import { createDatasetBody, notesBody, overrideBody, policyBody, reasonBody } from '../http/schemas/release-workflow.schemas';
import { approveBody, deviceBody, policyQuery, revokeBody } from '../http/schemas/stream-manage.schemas';
import { rollupSchema, streamDefinitionSchema } from '../streams/stream.schemas';

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
  '400': ok('A parameter is invalid; the message names it.', 'Error'),
  '404': ok('No such resource.', 'Error'),
};

const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schemaOf(schema, 'input') } } });
const manageErrors = {
  '400': errors['400'],
  '401': ok('No or an invalid token.', 'Error'),
  '403': ok('Not allowed (e.g. approving what you submitted, a read-only token).', 'Error'),
  '404': ok('No such dataset, or one you may not manage (the same answer).', 'Error'),
  '409': ok('Not possible in the release’s state, or what was approved changed.', 'Error'),
};
const workflowOk = { description: 'The dataset’s workflow: source, policy, release in progress with its preview and the gate’s verdict, published versions.', content: { 'application/json': { schema: { type: 'object' } } } };
const manageSlug = slugPath('slug', 'Dataset slug');
const manageAction = (operationId: string, summary: string, requestBody?: z.ZodType, extra: Record<string, unknown> = {}) => ({
  post: { operationId, summary, tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], ...(requestBody ? { requestBody: body(requestBody) } : {}), responses: { '200': workflowOk, ...manageErrors }, ...extra },
});

/** The stewards' release workflow (`manage` scope): policy → preview → submit → approve → publish → withdraw. */
function managePaths(): Record<string, unknown> {
  return {
    '/manage/datasets': {
      post: { operationId: 'createDataset', summary: 'Create a (private) dataset for one of your publishers (201)', tags: ['manage'], security: [{ bearer: [] }], requestBody: body(createDatasetBody), responses: { '201': { description: 'The new dataset with its upload and release links' }, ...manageErrors } },
    },
    '/manage/datasets/{slug}/sources': {
      post: { operationId: 'uploadSource', summary: 'Upload a new source version: a streamed text/csv body (gzip accepted) or multipart', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } }, responses: { '201': { description: 'The import result: rows, columns, types, detected personal data, suggested level' }, ...manageErrors } },
    },
    '/manage/datasets/{slug}/classification': {
      put: { operationId: 'putClassification', summary: 'Set column roles and the sensitivity level (audited with before and after)', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } }, responses: { '200': { description: 'The classification' }, ...manageErrors } },
    },
    '/manage/datasets/{slug}/policy': {
      get: { operationId: 'getReleasePolicy', summary: 'The latest release policy and its versions', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], responses: { '200': workflowOk, ...manageErrors } },
      put: { operationId: 'putReleasePolicy', summary: 'Save a new policy version; an open release goes back to draft', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], requestBody: body(policyBody), responses: { '200': workflowOk, ...manageErrors } },
    },
    '/manage/datasets/{slug}/release': {
      get: { operationId: 'getReleaseWorkflow', summary: 'The release in progress, its preview and the gate’s verdict, and the published versions', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug], responses: { '200': workflowOk, ...manageErrors } },
    },
    '/manage/datasets/{slug}/preview': {
      post: {
        operationId: 'startPreview', summary: 'Run the policy on the current source in a worker (202 with a job to poll, or 200 with the preview when wait=true)', tags: ['manage'], security: [{ bearer: [] }],
        parameters: [manageSlug, { name: 'wait', in: 'query', required: false, description: 'Wait for the preview and return it', schema: { type: 'boolean' } }],
        responses: { '200': workflowOk, '202': { description: 'The job; poll links.status' }, '429': { description: 'Too many previews running' }, ...manageErrors },
      },
    },
    '/manage/datasets/{slug}/preview/{job}': {
      get: { operationId: 'getPreviewJob', summary: 'A preview job’s progress, and the preview when done', tags: ['manage'], security: [{ bearer: [] }], parameters: [manageSlug, { name: 'job', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }], responses: { '200': { description: 'The job' }, ...manageErrors } },
    },
    '/manage/datasets/{slug}/release/submit': manageAction('submitRelease', 'Submit the previewed draft for review (the gate must pass)', notesBody),
    '/manage/datasets/{slug}/release/approve': manageAction('approveRelease', 'Approve (a second steward for personal and special category data); binds the approval to source, policy and seed'),
    '/manage/datasets/{slug}/release/reject': manageAction('rejectRelease', 'Send the release back to draft with a reason', reasonBody),
    '/manage/datasets/{slug}/release/publish': manageAction('publishRelease', 'Publish the approved release as the next version (201)', undefined, { responses: { '201': workflowOk, ...manageErrors } }),
    '/manage/datasets/{slug}/release/overrides': manageAction('overrideGateCheck', 'An administrator overrides an overridable failing check, with a reason (audited as admin.override)', overrideBody),
    '/manage/datasets/{slug}/releases/{version}/withdraw': {
      post: {
        operationId: 'withdrawRelease', summary: 'Withdraw a published version: downloads answer 410 Gone with the public reason', tags: ['manage'], security: [{ bearer: [] }],
        parameters: [manageSlug, { name: 'version', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }], requestBody: body(reasonBody), responses: { '200': workflowOk, ...manageErrors },
      },
    },
    '/manage/reviews': {
      get: { operationId: 'listReviews', summary: 'Releases awaiting approval by the caller, with their preview reports', tags: ['manage'], security: [{ bearer: [] }], responses: { '200': { description: 'The review queue' }, '401': manageErrors['401'] } },
    },
  };
}

/** The stewards' sensor streams (`manage` scope): define, change the rollup policy, approve it, add and revoke devices (docs/streams.md). */
function streamPaths(): Record<string, unknown> {
  const slug = slugPath('slug', 'Stream slug');
  const streamOk = { description: 'The stream: measures, rollup policy with its version, standing approval (personal streams), watermark', content: { 'application/json': { schema: { type: 'object' } } } };
  const errs = {
    ...manageErrors,
    '404': ok('No such stream, or one you may not manage (the same answer).', 'Error'),
    '409': ok('A conflict: a slug or device key already taken, an approval by the policy’s definer, or a policy that changed since the version given.', 'Error'),
  };
  const op = (o: Record<string, unknown>) => ({ tags: ['manage'], security: [{ bearer: [] }], ...o });
  return {
    '/manage/streams': {
      get: op({ operationId: 'listStreams', summary: 'Your publishers’ streams', responses: { '200': { description: 'The streams' }, '401': manageErrors['401'] } }),
      post: op({ operationId: 'createStream', summary: 'Define a stream (201): its catalogue dataset, and for public streams a raw-readings dataset', requestBody: body(streamDefinitionSchema), responses: { '201': streamOk, ...errs } }),
    },
    '/manage/streams/{slug}': {
      get: op({ operationId: 'getStream', summary: 'A stream and its devices', parameters: [slug], responses: { '200': streamOk, ...errs } }),
    },
    '/manage/streams/{slug}/policy': {
      put: op({
        operationId: 'putStreamPolicy',
        summary:
          'Replace the rollup policy: a new policy version, which voids a personal stream’s standing approval. A policy the same as the current one is not saved (`changed: false`, same version, the approval stands). With `policyVersion`, a change made against an outdated version is refused (409).',
        parameters: [slug, ...queryParams(policyQuery)],
        requestBody: body(rollupSchema),
        responses: { '200': { ...streamOk, description: 'The stream, and `changed`: whether a new policy version was saved' }, ...errs },
      }),
    },
    '/manage/streams/{slug}/approval': {
      post: op({ operationId: 'approveStreamPolicy', summary: 'A second steward’s standing approval of a personal stream’s rollup policy', parameters: [slug], requestBody: body(approveBody), responses: { '200': streamOk, ...errs } }),
    },
    '/manage/streams/{slug}/devices': {
      post: op({ operationId: 'addStreamDevice', summary: 'Register a device (201); its credential is in the answer, shown only then', parameters: [slug], requestBody: body(deviceBody), responses: { '201': { description: 'The device and its credential' }, ...errs } }),
    },
    '/manage/streams/{slug}/devices/{key}': {
      delete: op({
        operationId: 'revokeStreamDevice',
        summary: 'Revoke a device credential',
        parameters: [slug, { name: 'key', in: 'path', required: true, description: 'Device key', schema: { type: 'string' } }],
        requestBody: { ...body(revokeBody), required: false },
        responses: { '200': { description: 'The revoked device' }, ...errs },
      }),
    },
  };
}

/**
 * The device ingest route (docs/streams.md): a signed batch of readings. Devices authenticate with
 * their own credential (`plzd_…`), not an API token; each reading is checked on its own, so the
 * body schema describes the shape and the answer lists the readings refused.
 */
function ingestPaths(): Record<string, unknown> {
  const header = (name: string, description: string, schema: JsonSchema) => ({ name, in: 'header', required: true, description, schema });
  const reading = {
    type: 'object',
    required: ['time', 'values'],
    properties: {
      time: { description: 'ISO-8601 with a zone, or epoch milliseconds', oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }] },
      values: { type: 'object', description: 'Measure name → a finite number within its valid range, or null for a missing value', additionalProperties: { type: ['number', 'null'] } },
    },
  };
  const answer = {
    type: 'object',
    required: ['stream', 'device', 'seq', 'duplicate', 'accepted', 'rejected'],
    properties: {
      stream: { type: 'string' },
      device: { type: 'string' },
      seq: { type: 'integer' },
      duplicate: { type: 'boolean', description: 'true when this (device, sequence) was stored before with the same body: a retry, nothing added' },
      accepted: { type: 'integer', description: 'Readings stored' },
      rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, errors: { type: 'array', items: { type: 'string' } } } } },
    },
  };
  return {
    '/streams/{stream}/readings': {
      post: {
        operationId: 'sendReadings',
        summary: 'A device sends a signed batch of readings; the answer comes only after the batch is committed',
        tags: ['devices'],
        security: [{ device: [] }],
        parameters: [
          slugPath('stream', 'Stream slug'),
          header('X-Plaza-Timestamp', 'Unix seconds, within ±300 s of the server clock', { type: 'integer' }),
          header('X-Plaza-Sequence', 'A whole number unique per device; a retry reuses it', { type: 'string', pattern: '^[0-9]{1,16}$' }),
          header('X-Plaza-Signature', 'Hex HMAC-SHA-256 with the device key of "<timestamp>.<sequence>." followed by the body bytes as sent (gzip included)', { type: 'string' }),
        ],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['readings'], properties: { readings: { type: 'array', minItems: 1, items: reading } } } } } },
        responses: {
          '200': { description: 'Stored (or a retry of a stored batch)', content: { 'application/json': { schema: answer } } },
          '400': ok('Not JSON, the wrong shape, or a bad sequence header.', 'Error'),
          '401': ok('A missing, invalid or revoked credential, a device of another stream, a bad signature, or a timestamp outside the window.', 'Error'),
          '409': ok('The sequence number was used before for a different batch.', 'Error'),
          '413': ok('Too many readings (STREAM_MAX_BATCH) or too large a body.', 'Error'),
          '415': ok('Not application/json, or an encoding other than gzip.', 'Error'),
          '422': ok('No reading in the batch is valid; nothing was stored (the errors are in error.details.rejected).', 'Error'),
          '503': ok('The database could not commit: retry with the same sequence number.', 'Error'),
        },
      },
    },
  };
}

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
      ...managePaths(),
      ...streamPaths(),
      ...ingestPaths(),
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (plz_…) with the manage scope, from your account page' },
        device: { type: 'http', scheme: 'bearer', description: 'A device credential (plzd_<device>.<key>), shown once when a steward registers the device' },
      },
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

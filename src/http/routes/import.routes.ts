import path from 'node:path';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { AppError, ValidationError } from '../../errors';
import { currentActor, actionContext, requireSignedIn } from '../middleware/auth.middleware';
import { datasetForSources } from '../../ingest/import-access';
import { importCsv, type ImportResult } from '../../ingest/import.service';
import { latestSource } from '../../ingest/source.repository';
import { importQuery, slugParam, typeOverrides, uploadFields } from '../schemas/import.schemas';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';

/**
 * The two HTTP ways into the import service: the steward's upload page (multipart form, with a
 * progress bar from /public/upload.js when JavaScript runs) and
 * `POST /api/v1/manage/datasets/:slug/sources` (raw `text/csv` body or multipart, gzip accepted).
 * Bodies are streamed straight into the import; nothing is buffered or written to disk.
 */

/** A multipart upload's file stream and the fields sent before it. */
interface Upload {
  stream?: Readable;
  filename: string;
  fields: Map<string, string>;
}

const uploadPath = /^\/manage\/datasets\/[a-z0-9][a-z0-9-]{0,99}\/upload$/;
const fieldNames = new Set(['_csrf', 'mode']);

/** Reads a multipart body up to the `file` part; the file itself streams on from there. */
function readMultipart(req: Request): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 4096, parts: 12 } });
    } catch {
      reject(new ValidationError('The upload is not valid multipart/form-data'));
      return;
    }
    const fields = new Map<string, string>();
    let settled = false;
    const settle = (u?: Upload, err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(u!);
    };
    bb.on('field', (name, value) => {
      if (fieldNames.has(name)) fields.set(name, value);
    });
    bb.on('file', (name, stream, info) => {
      if (name !== 'file' || settled) {
        stream.resume();
        return;
      }
      settle({ stream, filename: path.basename(info.filename || 'upload.csv').slice(0, 300), fields });
    });
    bb.on('close', () => settle({ filename: '', fields }));
    bb.on('error', () => settle(undefined, new ValidationError('The upload could not be read: it is not valid multipart/form-data')));
    req.pipe(bb);
  });
}

/**
 * Mounted before the accounts stack: for upload-form posts it reads the multipart fields that
 * come before the file (the CSRF token and the mode) so the global CSRF check can see the token
 * (as the X-CSRF-Token header) without JavaScript. The file part is left paused for the route.
 */
export function uploadIntake(): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'POST' || !uploadPath.test(req.path) || !req.is('multipart/form-data')) return next();
    try {
      const upload = await readMultipart(req);
      const token = upload.fields.get('_csrf');
      if (token && !req.headers['x-csrf-token']) req.headers['x-csrf-token'] = token;
      res.locals.upload = upload;
      next();
    } catch (err) {
      next(err);
    }
  };
}

function resultJson(baseUrl: string, r: ImportResult) {
  const slug = r.dataset.slug;
  return {
    dataset: r.dataset,
    source: { version: r.source.version, mode: r.source.mode, rows: r.source.rows, columns: r.source.columns },
    format: r.format,
    bytes: r.bytes,
    sha256: r.sha256,
    suggestedLevel: r.detection.suggestedLevel,
    levelReasons: r.detection.levelReasons,
    detection: r.detection.columns,
    warnings: r.warnings,
    durationMs: r.durationMs,
    links: {
      self: absolute(baseUrl, urls.manageSourceJson(slug, r.source.version)),
      page: absolute(baseUrl, urls.manageSource(slug, r.source.version)),
      classification: absolute(baseUrl, urls.manageClassificationJson(slug)),
    },
  };
}

const isXhr = (req: Request) => req.get('x-requested-with') === 'XMLHttpRequest';

/** Routes for uploading and the import API. */
export function importRouter(deps: { db: Db; config: Config }): Router {
  const { db, config } = deps;
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);

  const dataset = (res: Response, raw: unknown, need: 'read' | 'manage') => {
    const slug = slugParam.safeParse(raw);
    if (!slug.success) throw new AppError(404, 'not_found', 'Dataset not found');
    return datasetForSources(db, currentActor(res), slug.data, need);
  };

  const renderUpload = async (req: Request, res: Response, status: number, error?: AppError) => {
    const d = await dataset(res, req.params.slug, 'manage');
    const latest = await latestSource(db, d.id);
    res.status(status).render('manage/upload', {
      title: `Upload data: ${d.title}`,
      dataset: d,
      latest,
      limits: config.import,
      error: error ? { message: error.message, details: error.details ?? {} } : null,
    });
  };

  router.get('/manage/datasets/:slug/upload', async (req, res) => {
    await renderUpload(req, res, 200);
  });

  router.post('/manage/datasets/:slug/upload', async (req, res) => {
    const upload = res.locals.upload as Upload | undefined;
    try {
      const d = await dataset(res, req.params.slug, 'manage');
      if (!upload?.stream) throw new ValidationError('Choose a CSV file to upload');
      const fields = parseInput(uploadFields, Object.fromEntries(upload.fields), 'body');
      const ctx = actionContext(req, res, config);
      const r = await importCsv(db, config.import, {
        datasetSlug: d.slug,
        input: upload.stream,
        filename: upload.filename,
        actor: ctx.actor.id,
        mode: fields.mode,
        requestId: ctx.requestId ?? undefined,
        client: ctx.client ?? undefined,
      });
      const next = urls.manageSource(d.slug, r.source.version);
      if (isXhr(req)) res.status(201).json({ redirect: next, ...resultJson(config.baseUrl, r) });
      else res.redirect(303, next);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404 || err.status === 401) throw err;
      res.setHeader('Connection', 'close');
      if (isXhr(req)) {
        res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }, status: err.status });
        return;
      }
      await renderUpload(req, res, err.status, err);
    }
  });

  router.post('/api/v1/manage/datasets/:slug/sources', async (req, res) => {
    const d = await dataset(res, req.params.slug, 'manage');
    const q = parseInput(importQuery, req.query);
    const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      throw new AppError(415, 'unsupported_encoding', 'The body must be sent as is or with Content-Encoding: gzip');
    }
    let input: Readable = req;
    let filename = q.filename ?? `${d.slug}.csv`;
    let mode = q.mode;
    if (req.is('multipart/form-data')) {
      const upload = await readMultipart(req);
      if (!upload.stream) throw new ValidationError('The multipart body has no part named "file"');
      input = upload.stream;
      filename = q.filename ?? upload.filename;
      if (upload.fields.has('mode')) mode = parseInput(uploadFields, Object.fromEntries(upload.fields), 'body').mode;
    } else if (!req.is(['text/csv', 'text/plain', 'text/tab-separated-values', 'application/csv', 'application/gzip', 'application/octet-stream'])) {
      throw new AppError(415, 'unsupported_media_type', 'Send the file as text/csv (or application/gzip) or as multipart/form-data with a "file" part');
    }
    const ctx = actionContext(req, res, config);
    try {
      const r = await importCsv(db, config.import, {
        datasetSlug: d.slug,
        input,
        filename,
        actor: ctx.actor.id,
        mode,
        types: typeOverrides(q.type),
        requestId: ctx.requestId ?? undefined,
        client: ctx.client ?? undefined,
      });
      res.setHeader('Location', urls.apiManageSource(d.slug, r.source.version));
      res.status(201).json(resultJson(config.baseUrl, r));
    } catch (err) {
      res.setHeader('Connection', 'close');
      throw err;
    }
  });

  return router;
}

import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { actorOf, clientRef } from '../../auth/actor';
import { findPublicRelease } from '../../catalogue/public-catalogue.repository';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { recordDownload } from '../../downloads/download-count.repository';
import { canonicalCsvChunks, downloadChunks, downloadEvents, planDownload, type DownloadOutcome } from '../../downloads/download.service';
import { ReleaseFileCache } from '../../downloads/release-file-cache';
import { pumpToResponse } from '../../downloads/pump';
import { contentTypes, downloadFormats, type DownloadFormat } from '../../downloads/serializers';
import { NotFoundError } from '../../errors';
import type { Logger } from '../../logger';
import { urls } from '../urls';

/** Cache policy of versioned (immutable) download URLs. */
export const immutableCacheControl = 'public, max-age=31536000, immutable';
/** Cache policy of `latest` redirects: short, since a new version can appear at any time. */
export const latestCacheControl = 'public, max-age=60';

const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/);
const versionParam = z.union([z.literal('latest'), z.coerce.number().int().min(1).max(1_000_000)]);

/** The query string of the request as received (for redirects that keep it). */
export function queryStringOf(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i >= 0 ? req.originalUrl.slice(i) : '';
}

/** Resolves `:slug` and `:version` (a number or `latest`), or throws 404. */
export function releaseParams(req: Request): { slug: string; version: number | 'latest' } {
  const slug = slugParam.safeParse(req.params.slug);
  const version = versionParam.safeParse(req.params.version);
  if (!slug.success || !version.success) throw new NotFoundError('Release not found');
  return { slug: slug.data, version: version.data };
}

/** Answers `latest` with a redirect to the current version's URL (same path tail, same query). */
export async function redirectLatest(db: Db, req: Request, res: Response, slug: string, build: (version: number) => string): Promise<void> {
  const ref = await findPublicRelease(db, slug, 'latest');
  if (!ref) throw new NotFoundError('This dataset has no published release');
  res.setHeader('Cache-Control', latestCacheControl);
  res.redirect(302, build(ref.release.version) + queryStringOf(req));
}

/** True when an If-None-Match header matches one of the given entity tags. */
export function ifNoneMatch(req: Request, tags: string[]): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  if (header.trim() === '*') return true;
  const given = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return given.some((t) => tags.includes(t));
}

/** Whether to gzip: only when the client asks for it (no Accept-Encoding means identity). */
function wantsGzip(req: Request): boolean {
  if (!req.headers['accept-encoding']) return false;
  return req.acceptsEncodings('gzip', 'identity') === 'gzip';
}

/**
 * Streamed downloads of releases: `/datasets/:slug/releases/:version/data.csv|json|ndjson`.
 * Versioned URLs are immutable (strong ETag, a year's caching, 304s); `latest` redirects.
 */
export function downloadsRouter(deps: { db: Db; config: Config; logger?: Logger }): Router {
  const { db, config } = deps;
  const router = Router();
  const files = config.downloadCacheDir ? new ReleaseFileCache(config.downloadCacheDir, deps.logger) : undefined;

  const handler = (format: DownloadFormat) => async (req: Request, res: Response) => {
    // Scripts get JSON errors; browsers (which ask for HTML) get the error page.
    if (!String(req.headers.accept ?? '').includes('text/html')) res.locals.format = 'json';
    const { slug, version } = releaseParams(req);
    if (version === 'latest') {
      await redirectLatest(db, req, res, slug, (v) => urls.download(slug, v, format));
      return;
    }
    const plan = await planDownload(db, slug, version, format, req.query as Record<string, unknown>);
    const gzip = wantsGzip(req);
    // The ETag names the content (the release checksum), whatever the transfer coding; Vary keeps
    // caches from mixing gzipped and plain bodies.
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('ETag', plan.etag);
    res.setHeader('Cache-Control', immutableCacheControl);
    res.setHeader('Last-Modified', new Date(plan.ref.release.publishedAt).toUTCString());
    if (ifNoneMatch(req, [plan.etag])) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', contentTypes[format]);
    res.setHeader('Content-Disposition', `attachment; filename="${plan.filename}"`);
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    else if (plan.contentLength !== undefined) res.setHeader('Content-Length', String(plan.contentLength));
    if (req.method === 'HEAD') {
      res.status(200).end();
      return;
    }
    const actor = actorOf(res);
    await recordDownload(db, {
      releaseId: plan.ref.release.id,
      datasetId: plan.ref.dataset.id,
      actor: actor.id,
      client: clientRef(req, actor, config.secret),
      requestId: String(req.id ?? ''),
      details: { dataset: slug, version, format, query: plan.query.canonical || undefined },
    });
    res.status(200);
    const outcome: DownloadOutcome = { releaseId: plan.ref.release.id, format, rows: 0, batches: 0, bytes: 0, aborted: false, cached: false };
    // The whole release as CSV comes from its verified file when there is one; otherwise from the
    // database, and the file is written in the background for the next download.
    const file = files && plan.canonicalCsv ? await files.lookup(plan.ref.release) : undefined;
    let body: AsyncIterable<Buffer>;
    if (file) {
      outcome.cached = true;
      outcome.rows = plan.ref.release.rowCount;
      body = ReleaseFileCache.read(file, plan.query.bom);
    } else {
      body = downloadChunks(db, plan, outcome);
      if (files && plan.canonicalCsv) void files.fill(plan.ref.release, () => canonicalCsvChunks(db, plan));
    }
    const result = await pumpToResponse(body, res, { gzip });
    outcome.bytes = result.bytes;
    outcome.aborted = result.aborted;
    downloadEvents.emit('finished', outcome);
  };

  for (const format of downloadFormats) {
    router.get(`/datasets/:slug/releases/:version/data.${format}`, handler(format));
  }
  return router;
}

import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { NotFoundError } from '../../errors';
import { describeFormat, type CsvFormat } from '../../ingest/csv-input';
import { delimiterNames } from '../../ingest/delimiter-sniff';
import { datasetForSources, mayPurge } from '../../ingest/import-access';
import { datasetSource, datasetSources, purgeSource } from '../../ingest/source.service';
import type { SourceRecord } from '../../ingest/source.repository';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';
import { page } from '../page';
import { purgeBody, slugParam, versionParam } from '../schemas/import.schemas';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';

/**
 * Source versions on the manage side: the list (`/manage/datasets/:slug/sources`), one version's
 * import result (`…/sources/:version`, also what an upload redirects to), each with its `.json`
 * twin and `/api/v1/manage/…` form, and purging old versions (admins).
 */

/** A source version as JSON for stewards (metadata only: no raw values). */
export function sourceJson(baseUrl: string, slug: string, s: SourceRecord) {
  return {
    version: s.version,
    mode: s.mode,
    filename: s.filename,
    rows: s.rowCount,
    columns: s.columns,
    schema: s.schema,
    format: s.format,
    bytes: s.byteSize,
    sha256: s.sha256,
    suggestedLevel: s.detection?.suggestedLevel ?? null,
    levelReasons: s.detection?.levelReasons ?? [],
    detection: s.detection?.columns ?? [],
    sampledRows: s.detection?.sampledRows ?? null,
    warnings: s.warnings,
    classification: { status: s.classificationStatus, by: s.classifiedBy, at: s.classifiedAt },
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    purged: s.purgedAt ? { at: s.purgedAt, by: s.purgedBy } : null,
    url: absolute(baseUrl, urls.manageSource(slug, s.version)),
  };
}

function formatLabel(f: SourceRecord['format']): string {
  if (!f) return 'not recorded';
  return describeFormat({ ...f, delimiter: f.delimiter as CsvFormat['delimiter'] } as CsvFormat);
}

/** Routes over source versions. */
export function sourcesRouter(deps: { db: Db; config: Config }): Router {
  const { db, config } = deps;
  const baseUrl = config.baseUrl;
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);

  const slugOf = (raw: unknown) => {
    const r = slugParam.safeParse(raw);
    if (!r.success) throw new NotFoundError('Dataset not found');
    return r.data;
  };
  const versionOf = (raw: unknown) => {
    const r = versionParam.safeParse(raw);
    if (!r.success) throw new NotFoundError('Source version not found');
    return r.data;
  };
  const list = async (req: Request, res: Response) => {
    const d = await datasetForSources(db, currentActor(res), slugOf(req.params.slug), 'read');
    return datasetSources(db, d.slug);
  };
  const one = async (req: Request, res: Response) => {
    const d = await datasetForSources(db, currentActor(res), slugOf(req.params.slug), 'read');
    return datasetSource(db, d.slug, versionOf(req.params.version));
  };

  page(router, '/manage/datasets/:slug/sources', async (req, res) => {
    const { dataset, sources } = await list(req, res);
    return {
      view: 'manage/sources',
      title: `Sources: ${dataset.title}`,
      locals: { dataset, sources, canPurge: mayPurge(currentActor(res)), formatLabel },
      json: { dataset: dataset.slug, sources: sources.map((s) => sourceJson(baseUrl, dataset.slug, s)) },
    };
  });

  page(router, '/manage/datasets/:slug/sources/:version', async (req, res) => {
    const { dataset, source } = await one(req, res);
    return {
      view: 'manage/import-result',
      title: `Source version ${source.version}: ${dataset.title}`,
      locals: { dataset, source, formatLabel, delimiterNames },
      json: { dataset: dataset.slug, level: dataset.sensitivityLevel, source: sourceJson(baseUrl, dataset.slug, source) },
    };
  });

  router.get('/api/v1/manage/datasets/:slug/sources', async (req, res) => {
    const { dataset, sources } = await list(req, res);
    res.json({ dataset: dataset.slug, sources: sources.map((s) => sourceJson(baseUrl, dataset.slug, s)) });
  });

  router.get('/api/v1/manage/datasets/:slug/sources/:version', async (req, res) => {
    const { dataset, source } = await one(req, res);
    res.json({ dataset: dataset.slug, level: dataset.sensitivityLevel, source: sourceJson(baseUrl, dataset.slug, source) });
  });

  const purge = async (req: Request, res: Response, body: unknown) => {
    const d = await datasetForSources(db, currentActor(res), slugOf(req.params.slug), 'purge');
    const version = versionOf(req.params.version);
    if (version === 'latest') throw new NotFoundError('Source version not found');
    const { reason } = parseInput(purgeBody, body, 'body');
    const ctx = actionContext(req, res, config);
    return purgeSource(db, { datasetSlug: d.slug, version, actor: ctx.actor.id, reason, requestId: ctx.requestId ?? undefined, client: ctx.client ?? undefined });
  };

  router.post('/manage/datasets/:slug/sources/:version/purge', async (req, res) => {
    await purge(req, res, req.body);
    res.redirect(303, urls.manageSources(slugOf(req.params.slug)));
  });

  router.delete('/api/v1/manage/datasets/:slug/sources/:version', express.json({ limit: '16kb' }), async (req, res) => {
    const s = await purge(req, res, req.body ?? {});
    res.json({ dataset: slugOf(req.params.slug), source: sourceJson(baseUrl, slugOf(req.params.slug), s) });
  });

  return router;
}

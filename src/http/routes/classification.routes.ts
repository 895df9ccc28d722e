import express, { Router, type Request, type Response } from 'express';
import { columnRoles, sensitivityLevels, type ColumnRole } from '../../catalogue/table-schema';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { NotFoundError, ValidationError } from '../../errors';
import { getClassification, updateClassification, type Classification, type ClassificationChange } from '../../ingest/classification.service';
import { datasetForSources } from '../../ingest/import-access';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';
import { page } from '../page';
import { classificationBody, classificationForm, slugParam } from '../schemas/import.schemas';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';

/**
 * The classification page and API: detected personal data, suggested roles and level with their
 * reasons, and the steward's confirmation or correction (audited with before and after).
 */

/** Labels for the role and level choices. */
export const roleLabels: Record<ColumnRole, string> = {
  direct_identifier: 'Direct identifier (names a person)',
  quasi_identifier: 'Quasi-identifier (can single people out in combination)',
  sensitive: 'Sensitive attribute',
  measure: 'Measure',
  time: 'Time',
  location: 'Location',
  other: 'Other',
};

function classificationJson(baseUrl: string, c: Classification) {
  return { ...c, links: { page: absolute(baseUrl, urls.manageClassification(c.dataset.slug)), source: absolute(baseUrl, urls.manageSource(c.dataset.slug, c.source.version)) } };
}

/** Turns the form's `role_<i>` and `text_<i>` fields into a change for the current columns. */
function changeFromForm(body: Record<string, unknown>, current: Classification): ClassificationChange {
  const f = parseInput(classificationForm, body, 'body');
  if (f.version !== current.source.version) {
    throw new ValidationError(`A newer source version (${current.source.version}) was imported while you were editing; reload the page and classify it`);
  }
  const roles = new Set<string>(columnRoles);
  const columns = current.columns.map((c, i) => {
    const role = body[`role_${i}`];
    if (typeof role !== 'string' || !roles.has(role)) throw new ValidationError(`Choose a role for column "${c.name}"`, { parameter: `role_${i}` });
    return { name: c.name, role: role as ColumnRole, ...(body[`text_${i}`] === 'yes' ? { type: 'string' as const } : {}) };
  });
  return { level: f.level, columns, reason: f.reason };
}

/** Routes for classification. */
export function classificationRouter(deps: { db: Db; config: Config }): Router {
  const { db, config } = deps;
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);

  const slugOf = (raw: unknown) => {
    const r = slugParam.safeParse(raw);
    if (!r.success) throw new NotFoundError('Dataset not found');
    return r.data;
  };
  const read = async (req: Request, res: Response, need: 'read' | 'manage') => {
    const d = await datasetForSources(db, currentActor(res), slugOf(req.params.slug), need);
    return getClassification(db, d.slug);
  };
  const apply = async (req: Request, res: Response, change: ClassificationChange, version?: number) => {
    const d = await datasetForSources(db, currentActor(res), slugOf(req.params.slug), 'manage');
    const ctx = actionContext(req, res, config);
    return updateClassification(db, { datasetSlug: d.slug, version, change, actor: ctx.actor.id, requestId: ctx.requestId ?? undefined, client: ctx.client ?? undefined });
  };

  page(router, '/manage/datasets/:slug/classification', async (req, res) => {
    const c = await read(req, res, 'read');
    return {
      view: 'manage/classification',
      title: `Classify: ${c.dataset.title}`,
      locals: { c, roleLabels, roles: columnRoles, levels: sensitivityLevels, saved: req.query.saved === '1', error: null },
      json: classificationJson(config.baseUrl, c),
    };
  });

  router.post('/manage/datasets/:slug/classification', async (req, res) => {
    const current = await read(req, res, 'manage');
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await apply(req, res, changeFromForm(body, current), current.source.version);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      res.status(400).render('manage/classification', { title: `Classify: ${current.dataset.title}`, c: current, roleLabels, roles: columnRoles, levels: sensitivityLevels, saved: false, error: err.message });
      return;
    }
    res.redirect(303, urls.manageClassification(current.dataset.slug) + '?saved=1');
  });

  router.get('/api/v1/manage/datasets/:slug/classification', async (req, res) => {
    res.json(classificationJson(config.baseUrl, await read(req, res, 'read')));
  });

  router.put('/api/v1/manage/datasets/:slug/classification', express.json({ limit: '512kb' }), async (req, res) => {
    const body = parseInput(classificationBody, req.body, 'body');
    const c = await apply(req, res, { level: body.level, columns: body.columns, reason: body.reason }, body.version);
    res.json(classificationJson(config.baseUrl, c));
  });

  return router;
}

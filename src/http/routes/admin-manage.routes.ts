import { Router } from 'express';
import { z } from 'zod';
import type { ManagedDataset } from '../../auth/managed-dataset.service';
import { getDatasetFor, listDatasetsFor } from '../../auth/managed-dataset.service';
import type { Db } from '../../db/knex';
import { NotFoundError } from '../../errors';
import { page } from '../page';
import { absolute, withQuery } from '../urls';
import { parseInput } from '../validate';
import { currentActor, requireSignedIn } from '../middleware/auth.middleware';

/** Datasets per page on the steward list. */
export const managedPerPage = 50;

const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/);
const listQuery = z.object({ page: z.coerce.number().int().min(1).max(100_000).default(1) });

function datasetDetailJson(baseUrl: string, m: ManagedDataset) {
  const d = m.dataset;
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    description: d.description,
    publisher: m.publisher,
    licence: d.licenceId,
    sensitivityLevel: d.sensitivityLevel,
    state: d.state,
    updateFrequency: d.updateFrequency,
    listMetadataOnly: d.listMetadataOnly,
    themes: d.themeSlugs,
    keywords: d.keywords,
    createdAt: d.createdAt,
    modifiedAt: d.modifiedAt,
    sources: m.sources,
    releases: m.releases,
    url: absolute(baseUrl, `/manage/datasets/${encodeURIComponent(d.slug)}`),
  };
}

/**
 * Read-only steward pages over private datasets: `/manage/datasets[/:slug]` (+ `.json`) and
 * `/api/v1/manage/datasets[/:slug]`. A steward sees their publishers' datasets; anything else
 * is "not found", exactly like a dataset that does not exist.
 */
export function manageRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);

  const find = (res: Parameters<Parameters<Router['get']>[1]>[1], raw: unknown) => {
    const slug = slugParam.safeParse(raw);
    if (!slug.success) throw new NotFoundError('Dataset not found');
    return getDatasetFor(db, currentActor(res), slug.data);
  };
  const list = async (res: Parameters<Parameters<Router['get']>[1]>[1], query: unknown) => {
    const q = parseInput(listQuery, query);
    const result = await listDatasetsFor(db, currentActor(res), { page: q.page, perPage: managedPerPage });
    return { q, ...result, pages: Math.max(1, Math.ceil(result.total / managedPerPage)) };
  };

  router.get('/manage', (_req, res) => res.redirect(303, '/manage/datasets'));

  page(router, '/manage/datasets', async (req, res) => {
    const r = await list(res, req.query);
    return {
      view: 'admin/datasets',
      title: 'Your datasets',
      locals: { ...r, hrefFor: (n: number) => withQuery('/manage/datasets', { page: n }) },
      json: { total: r.total, page: r.q.page, pages: r.pages, datasets: r.datasets.map((d) => ({ ...d, url: absolute(baseUrl, `/manage/datasets/${d.slug}`) })) },
    };
  });

  page(router, '/manage/datasets/:slug', async (req, res) => {
    const m = await find(res, req.params.slug);
    return { view: 'admin/dataset', title: m.dataset.title, locals: { m }, json: datasetDetailJson(baseUrl, m) };
  });

  router.get('/api/v1/manage/datasets', async (req, res) => {
    const r = await list(res, req.query);
    res.json({ total: r.total, page: r.q.page, pages: r.pages, datasets: r.datasets.map((d) => ({ ...d, url: absolute(baseUrl, `/api/v1/manage/datasets/${d.slug}`) })) });
  });

  router.get('/api/v1/manage/datasets/:slug', async (req, res) => {
    res.json(datasetDetailJson(baseUrl, await find(res, req.params.slug)));
  });

  return router;
}

import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { countPublicDatasets, findPublicRelease, getPublicDataset, listPublicDatasetsDetailed } from '../../catalogue/public-catalogue.repository';
import type { PublicDataset } from '../../catalogue/catalogue.types';
import type { Db } from '../../db/knex';
import { NotFoundError, GoneError } from '../../errors';
import { dataJson } from '../../feeds/data-json';
import { dataPackage } from '../../feeds/datapackage';
import { catalogueGraph, datasetGraph, type PortalInfo } from '../../feeds/dcat';
import { toJsonLd, toTurtle } from '../../feeds/rdf';
import { urls } from '../urls';
import { parseInput } from '../validate';
import { redirectLatest, releaseParams } from './downloads.routes';

/** Datasets per page of /catalog.ttl and /catalog.jsonld. */
export const cataloguePageSize = 100;
const feedCacheControl = 'public, max-age=300';

const pageQuery = z.object({
  page: z.preprocess(
    (v) => (Array.isArray(v) ? v[v.length - 1] : v),
    z.coerce.number({ message: 'must be a whole number' }).int({ message: 'must be a whole number' }).min(1, { message: 'must be 1 or more' }).max(100000).default(1),
  ),
});
const slugParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/);

/**
 * Open-data feeds for harvesters: DCAT-AP 3 (Turtle and JSON-LD, paged with hydra), per-dataset
 * Turtle/JSON-LD, Project Open Data `/data.json`, and a Frictionless `datapackage.json` per release.
 */
export function feedsRouter(deps: { db: Db; baseUrl: string }): Router {
  const { db, baseUrl } = deps;
  const router = Router();
  const portal = (req: Request): PortalInfo => ({ baseUrl, name: String(req.app.locals.serviceName ?? 'Plaza') });

  const cataloguePage = async (req: Request) => {
    const { page } = parseInput(pageQuery, req.query);
    const total = await countPublicDatasets(db);
    const datasets = await listPublicDatasetsDetailed(db, { offset: (page - 1) * cataloguePageSize, limit: cataloguePageSize });
    if (page > 1 && datasets.length === 0) throw new NotFoundError('No such page of the catalogue');
    return { page, total, datasets };
  };

  router.get('/catalog', (_req, res) => {
    res.redirect(303, urls.catalogTtl());
  });

  router.get('/catalog.ttl', async (req, res) => {
    const { page, total, datasets } = await cataloguePage(req);
    const graph = catalogueGraph(portal(req), datasets, { page, perPage: cataloguePageSize, total, pageUrl: (p) => urls.catalogTtl({ page: p }) });
    res.setHeader('Cache-Control', feedCacheControl);
    res.type('text/turtle; charset=utf-8').send(toTurtle(graph));
  });

  router.get('/catalog.jsonld', async (req, res) => {
    res.locals.format = 'json';
    const { page, total, datasets } = await cataloguePage(req);
    const graph = catalogueGraph(portal(req), datasets, { page, perPage: cataloguePageSize, total, pageUrl: (p) => urls.catalogJsonld({ page: p }) });
    res.setHeader('Cache-Control', feedCacheControl);
    res.type('application/ld+json; charset=utf-8').send(JSON.stringify(toJsonLd(graph)));
  });

  const findDataset = async (slug: unknown): Promise<PublicDataset> => {
    const parsed = slugParam.safeParse(slug);
    const d = parsed.success ? await getPublicDataset(db, parsed.data) : undefined;
    if (!d) throw new NotFoundError('Dataset not found');
    return d;
  };

  router.get('/datasets/:slug.ttl', async (req, res) => {
    const d = await findDataset(req.params.slug);
    res.setHeader('Cache-Control', feedCacheControl);
    res.type('text/turtle; charset=utf-8').send(toTurtle(datasetGraph(portal(req), d)));
  });

  router.get('/datasets/:slug.jsonld', async (req, res) => {
    res.locals.format = 'json';
    const d = await findDataset(req.params.slug);
    res.setHeader('Cache-Control', feedCacheControl);
    res.type('application/ld+json; charset=utf-8').send(JSON.stringify(toJsonLd(datasetGraph(portal(req), d))));
  });

  router.get('/data.json', async (req, res) => {
    res.locals.format = 'json';
    const all: PublicDataset[] = [];
    for (let offset = 0; ; offset += cataloguePageSize) {
      const page = await listPublicDatasetsDetailed(db, { offset, limit: cataloguePageSize });
      all.push(...page);
      if (page.length < cataloguePageSize) break;
    }
    res.setHeader('Cache-Control', feedCacheControl);
    res.json(dataJson(baseUrl, portal(req).name, all));
  });

  router.get('/datasets/:slug/releases/:version/datapackage.json', async (req: Request, res: Response) => {
    res.locals.format = 'json';
    const { slug, version } = releaseParams(req);
    if (version === 'latest') {
      await redirectLatest(db, req, res, slug, (v) => urls.datapackage(slug, v));
      return;
    }
    const ref = await findPublicRelease(db, slug, version);
    if (!ref) throw new NotFoundError('Release not found');
    if (ref.release.status === 'withdrawn') {
      throw new GoneError(`Version ${version} of this dataset was withdrawn${ref.release.withdrawnReason ? ': ' + ref.release.withdrawnReason : ''}`);
    }
    const d = await findDataset(slug);
    // The package carries the dataset's current metadata, which can change: cache briefly.
    res.setHeader('Cache-Control', feedCacheControl);
    res.type('application/json; charset=utf-8').send(JSON.stringify(dataPackage(baseUrl, d, ref.release), null, 2));
  });

  return router;
}

import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Actor } from '../../auth/actor';
import { authorize, publisherScope } from '../../auth/policy';
import type { DatasetRecord } from '../../catalogue/dataset.repository';
import type { Config } from '../../config';
import type { Db } from '../../db/knex';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors';
import { datasetForSources } from '../../ingest/import-access';
import { latestSource } from '../../ingest/source.repository';
import { getPreviewJob, previewJobJson, startPreviewJob } from '../../publishing/preview-jobs';
import {
  approveRelease,
  mayApprove,
  overrideCheck,
  previewRelease,
  publishApprovedRelease,
  rejectRelease,
  submitRelease,
  type WorkflowContext,
} from '../../publishing/release-workflow.service';
import { latestPolicyVersion, listWorkflowReleases, openRelease, releasesInReview, type WorkflowRelease } from '../../publishing/release-workflow.repository';
import { publishMetadataOnly, withdrawRelease } from '../../publishing/withdraw.service';
import { availableActions, type ReleaseState } from '../../publishing/workflow';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';
import { page } from '../page';
import { slugParam } from '../schemas/import.schemas';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';
import { createDatasetBody, notesBody, overrideBody, reasonBody } from '../schemas/release-workflow.schemas';
import { createDataset } from '../../catalogue/dataset.service';
import { getPublisherBySlug } from '../../catalogue/reference.repository';

/**
 * The release workflow on the manage side (issue 6): the release page of a dataset (state,
 * preview with the gate's verdict, submit / approve / reject / publish, overrides, versions and
 * withdrawal), preview jobs with progress, the review queue — as pages with `.json` twins and as
 * `/api/v1/manage/…` endpoints. The policy editor lives in policy-editor.routes.ts.
 */

const versionParam = z.coerce.number().int().min(1).max(1_000_000);
const jobParam = z.string().uuid();

/** What a person sees of a release in the workflow (no raw values: output rows only, in the preview). */
function releaseJson(r: WorkflowRelease) {
  const state = r.state === 'publishing' ? 'approved' : r.state;
  return {
    id: r.id,
    state: r.state,
    version: r.version,
    sourceVersion: r.sourceVersion,
    policyVersion: r.policyVersion,
    notes: r.notes,
    submittedBy: r.submittedBy,
    submittedAt: r.submittedAt,
    approvedBy: r.approvedBy,
    approvedAt: r.approvedAt,
    approvalHash: r.approvalHash,
    rejectedReason: r.rejectedReason,
    overrides: r.overrides,
    actions: availableActions(state as ReleaseState),
  };
}

/** A dataset's workflow as JSON: current source and policy, the open release and its preview, and the history. */
async function workflowView(db: Db, baseUrl: string, dataset: DatasetRecord) {
  const [source, policy, open, all] = await Promise.all([
    latestSource(db, dataset.id),
    latestPolicyVersion(db, dataset.id),
    openRelease(db, dataset.id),
    listWorkflowReleases(db, dataset.id),
  ]);
  const history = all
    .filter((r) => r.version !== null)
    .map((r) => ({
      version: r.version!,
      state: r.state,
      rows: r.rowCount,
      publishedAt: r.publishedAt,
      withdrawnReason: r.withdrawnReason,
      approvedBy: r.approvedBy,
      url: absolute(baseUrl, urls.release(dataset.slug, r.version!)),
    }));
  return {
    dataset: { slug: dataset.slug, title: dataset.title, level: dataset.sensitivityLevel, listMetadataOnly: dataset.listMetadataOnly },
    source: source ? { version: source.version, rows: source.rowCount, purged: !!source.purgedAt, url: absolute(baseUrl, urls.manageSource(dataset.slug, source.version)) } : null,
    policy: policy ? { version: policy.version, policy: policy.policy, settings: policy.settings, note: policy.note, createdBy: policy.createdBy, createdAt: policy.createdAt } : null,
    release: open ? releaseJson(open) : null,
    preview: open?.preview ?? null,
    history,
    links: {
      page: absolute(baseUrl, urls.manageRelease(dataset.slug)),
      policy: absolute(baseUrl, urls.managePolicy(dataset.slug)),
      api: absolute(baseUrl, urls.apiManageRelease(dataset.slug)),
    },
  };
}

/** Routes of the release workflow. */
export function releaseWorkflowRouter(deps: { db: Db; config: Config; reader?: Db }): Router {
  const { db, config } = deps;
  const baseUrl = config.baseUrl;
  const ctx: WorkflowContext = { db, secret: config.secret, gatePolicy: config.releasePolicy, ...(deps.reader ? { reader: deps.reader } : {}) };
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);
  const json = express.json({ limit: '64kb' });

  const slugOf = (raw: unknown) => {
    const r = slugParam.safeParse(raw);
    if (!r.success) throw new NotFoundError('Dataset not found');
    return r.data;
  };
  const datasetFor = (req: Request, res: Response, need: 'read' | 'manage') => datasetForSources(db, currentActor(res), slugOf(req.params.slug), need);
  const ids = (req: Request, res: Response) => {
    const c = actionContext(req, res, config);
    return { actor: c.actor, requestId: c.requestId ?? undefined };
  };

  const startPreview = async (req: Request, res: Response) => {
    const dataset = await datasetFor(req, res, 'manage');
    const { actor } = ids(req, res);
    return { dataset, job: startPreviewJob(dataset, actor.id, (onProgress) => previewRelease(ctx, { dataset, actor, onProgress })) };
  };

  // Each action: the same service call for the form and the API.
  type ActionFn = (dataset: DatasetRecord, actor: Actor, requestId: string | undefined, body: Record<string, unknown>) => Promise<unknown>;
  const actions: Record<string, ActionFn> = {
    submit: (dataset, actor, requestId, body) => submitRelease(ctx, { dataset, actor, requestId, notes: parseInput(notesBody, body, 'body').notes }),
    approve: (dataset, actor, requestId) => approveRelease(ctx, { dataset, actor, requestId }),
    reject: (dataset, actor, requestId, body) => rejectRelease(ctx, { dataset, actor, requestId, reason: parseInput(reasonBody, body, 'body').reason }),
    publish: (dataset, actor, requestId) => publishApprovedRelease(ctx, { dataset, actor, requestId }),
    override: (dataset, actor, requestId, body) => {
      const b = parseInput(overrideBody, body, 'body');
      return overrideCheck(ctx, { dataset, actor, requestId, check: b.check, reason: b.reason });
    },
    'metadata-only': (dataset, actor, requestId) => publishMetadataOnly(db, { datasetId: dataset.id, actor: actor.id, requestId }),
  };
  const runAction = async (req: Request, res: Response, name: string, body: Record<string, unknown>) => {
    const fn = actions[name];
    if (!fn) throw new NotFoundError('Page not found');
    const dataset = await datasetFor(req, res, 'manage');
    const { actor, requestId } = ids(req, res);
    const need = name === 'approve' ? 'release:approve' : name === 'override' ? 'release:override' : 'release:manage';
    authorize(actor, need, { type: 'dataset', publisherId: dataset.publisherId }, 'Dataset not found');
    const result = await fn(dataset, actor, requestId, body);
    return { dataset, result };
  };

  // ---- Pages ----

  page(router, '/manage/datasets/:slug/release', async (req, res) => {
    const dataset = await datasetFor(req, res, 'read');
    const view = await workflowView(db, baseUrl, dataset);
    const actor = currentActor(res);
    return {
      view: 'manage/release',
      title: `Release: ${dataset.title}`,
      locals: { w: view, isAdmin: actor.role === 'admin', me: actor.userId !== undefined ? `user:${actor.userId}` : actor.id, error: null, done: typeof req.query.done === 'string' ? req.query.done : null },
      json: view,
    };
  });

  router.post('/manage/datasets/:slug/release/preview', async (req, res) => {
    const { dataset, job } = await startPreview(req, res);
    res.redirect(303, urls.managePreviewJob(dataset.slug, job.id));
  });

  page(router, '/manage/datasets/:slug/release/preview/:job', async (req, res) => {
    const dataset = await datasetFor(req, res, 'read');
    const id = jobParam.safeParse(req.params.job);
    if (!id.success) throw new NotFoundError('Preview not found');
    const job = getPreviewJob(id.data, dataset.id);
    if (job.state === 'done' && res.locals.format !== 'json') {
      res.redirect(303, `${urls.manageRelease(dataset.slug)}?done=preview#preview`);
      return { view: 'manage/preview-job', title: 'Preview', json: previewJobJson(job) };
    }
    return {
      view: 'manage/preview-job',
      title: `Preview: ${dataset.title}`,
      locals: { dataset, job: previewJobJson(job), refreshSeconds: job.state === 'running' ? 2 : 0 },
      json: previewJobJson(job),
    };
  });

  router.post('/manage/datasets/:slug/release/:action', async (req, res) => {
    const name = String(req.params.action);
    try {
      const { dataset } = await runAction(req, res, name, (req.body ?? {}) as Record<string, unknown>);
      res.redirect(303, `${urls.manageRelease(dataset.slug)}?done=${encodeURIComponent(name)}`);
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof ForbiddenError || (err instanceof Error && 'status' in err && (err as { status: number }).status === 409))) throw err;
      const dataset = await datasetFor(req, res, 'read');
      const actor = currentActor(res);
      res.status((err as { status: number }).status).render('manage/release', {
        title: `Release: ${dataset.title}`,
        w: await workflowView(db, baseUrl, dataset),
        isAdmin: actor.role === 'admin',
        me: actor.userId !== undefined ? `user:${actor.userId}` : actor.id,
        error: err.message,
        done: null,
      });
    }
  });

  router.post('/manage/datasets/:slug/releases/:version/withdraw', async (req, res) => {
    const dataset = await datasetFor(req, res, 'manage');
    const version = versionParam.safeParse(req.params.version);
    if (!version.success) throw new NotFoundError('Release not found');
    const { reason } = parseInput(reasonBody, req.body, 'body');
    const { actor, requestId } = ids(req, res);
    await withdrawRelease(db, { datasetId: dataset.id, version: version.data, reason, actor: actor.id, requestId });
    res.redirect(303, `${urls.manageRelease(dataset.slug)}?done=withdraw`);
  });

  const queue = async (res: Response) => {
    const actor = currentActor(res);
    if (actor.role !== 'steward' && actor.role !== 'admin' && actor.kind !== 'system') throw new NotFoundError('Page not found');
    const scope = publisherScope(actor);
    const items = await releasesInReview(db, scope.all ? null : scope.publisherIds);
    const me = actor.userId !== undefined ? `user:${actor.userId}` : actor.id;
    return items.map((r) => ({
      dataset: { slug: r.datasetSlug, title: r.datasetTitle, level: r.level },
      release: releaseJson(r),
      mayApprove: mayApprove(r.level, r, me),
      statement: (r.preview?.statement as string | undefined) ?? null,
      verdict: r.gate ?? null,
      report: r.preview?.report ?? null,
      links: { page: absolute(baseUrl, urls.manageRelease(r.datasetSlug)), api: absolute(baseUrl, urls.apiManageRelease(r.datasetSlug)) },
    }));
  };

  page(router, '/manage/reviews', async (_req, res) => {
    const items = await queue(res);
    return { view: 'manage/reviews', title: 'Releases awaiting approval', locals: { items }, json: { total: items.length, releases: items } };
  });

  // ---- API ----

  router.get('/api/v1/manage/reviews', async (_req, res) => {
    const items = await queue(res);
    res.json({ total: items.length, releases: items });
  });

  router.post('/api/v1/manage/datasets', json, async (req, res) => {
    const b = parseInput(createDatasetBody, req.body ?? {}, 'body');
    const actor = currentActor(res);
    const publisher = await getPublisherBySlug(db, b.publisher);
    if (!publisher) throw new ValidationError(`There is no publisher "${b.publisher}"`, { parameter: 'publisher' });
    authorize(actor, 'dataset:create', { type: 'dataset', publisherId: publisher.id }, 'Publisher not found');
    const { requestId } = ids(req, res);
    const d = await createDataset(db, { slug: b.slug, title: b.title, publisherSlug: b.publisher, level: b.level, summary: b.summary, description: b.description, actor: actor.id, requestId, via: 'api' });
    res.status(201).location(`/api/v1/manage/datasets/${d.slug}`).json({ slug: d.slug, title: d.title, level: d.sensitivityLevel, links: { upload: absolute(baseUrl, urls.apiManageSources(d.slug)), release: absolute(baseUrl, urls.apiManageRelease(d.slug)) } });
  });

  router.get('/api/v1/manage/datasets/:slug/release', async (req, res) => {
    res.json(await workflowView(db, baseUrl, await datasetFor(req, res, 'read')));
  });

  router.post('/api/v1/manage/datasets/:slug/preview', json, async (req, res) => {
    const { dataset, job } = await startPreview(req, res);
    if (req.query.wait === 'true' || req.query.wait === '1') {
      await job.done;
      if (job.state === 'failed') {
        res.status(job.error!.status).json({ error: { code: job.error!.code, message: job.error!.message }, status: job.error!.status });
        return;
      }
      res.json({ job: previewJobJson(job), preview: job.preview });
      return;
    }
    res.status(202).location(urls.apiManagePreviewJob(dataset.slug, job.id)).json({ job: previewJobJson(job), links: { status: absolute(baseUrl, urls.apiManagePreviewJob(dataset.slug, job.id)) } });
  });

  router.get('/api/v1/manage/datasets/:slug/preview/:job', async (req, res) => {
    const dataset = await datasetFor(req, res, 'read');
    const id = jobParam.safeParse(req.params.job);
    if (!id.success) throw new NotFoundError('Preview not found');
    const job = getPreviewJob(id.data, dataset.id);
    res.json({ job: previewJobJson(job), preview: job.state === 'done' ? job.preview : null });
  });

  router.post('/api/v1/manage/datasets/:slug/release/:action', json, async (req, res) => {
    const name = String(req.params.action);
    const apiName = name === 'overrides' ? 'override' : name;
    if (apiName === 'preview') throw new NotFoundError('Page not found');
    const { dataset, result } = await runAction(req, res, apiName, (req.body ?? {}) as Record<string, unknown>);
    const view = await workflowView(db, baseUrl, dataset);
    res.status(apiName === 'publish' ? 201 : 200).json({ ...view, ...(apiName === 'publish' ? { published: result } : {}) });
  });

  router.post('/api/v1/manage/datasets/:slug/releases/:version/withdraw', json, async (req, res) => {
    const dataset = await datasetFor(req, res, 'manage');
    const version = versionParam.safeParse(req.params.version);
    if (!version.success) throw new NotFoundError('Release not found');
    const { reason } = parseInput(reasonBody, req.body ?? {}, 'body');
    const { actor, requestId } = ids(req, res);
    await withdrawRelease(db, { datasetId: dataset.id, version: version.data, reason, actor: actor.id, requestId });
    res.json(await workflowView(db, baseUrl, dataset));
  });

  return router;
}

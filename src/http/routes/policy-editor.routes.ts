import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { DatasetRecord } from '../../catalogue/dataset.repository';
import type { Db } from '../../db/knex';
import { NotFoundError, ValidationError } from '../../errors';
import { datasetForSources } from '../../ingest/import-access';
import { latestSource, type SourceRecord } from '../../ingest/source.repository';
import { METRICS } from '../../privacy';
import {
  defaultForm,
  defaultSeed,
  formFromPolicy,
  generalisationsFor,
  policyFromForm,
  type FormColumn,
  type FormIssue,
  type PolicyForm,
} from '../../publishing/policy-form';
import type { ReleaseSettings } from '../../publishing/release-evidence';
import { latestPolicyVersion, listPolicyVersions, type PolicyVersion } from '../../publishing/release-workflow.repository';
import { saveReleasePolicy } from '../../publishing/release-workflow.service';
import { actionContext, currentActor, requireSignedIn } from '../middleware/auth.middleware';
import { page } from '../page';
import { slugParam } from '../schemas/import.schemas';
import { formFromBody } from '../schemas/policy-editor.schemas';
import { policyBody } from '../schemas/release-workflow.schemas';
import { absolute, urls } from '../urls';
import { parseInput } from '../validate';
import { roleLabels } from './classification.routes';

/**
 * The release policy editor (issue 6 §1): a form over the current source's classified columns
 * (a transform per column, then microdata or table protection) or the policy JSON itself, stored
 * as a new policy version through the release workflow (which re-validates it against the source
 * and puts the open release back to draft). Page + `.json` twin, and `GET/PUT` on the API.
 */

/** The form's view of a source's columns. */
export function formColumns(source: SourceRecord): FormColumn[] {
  return source.columns.map((c) => ({ name: c.name, type: c.type, role: c.role ?? 'other' }));
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

interface EditorState {
  dataset: DatasetRecord;
  source: SourceRecord | null;
  columns: FormColumn[];
  latest: PolicyVersion | undefined;
  versions: Awaited<ReturnType<typeof listPolicyVersions>>;
}

function policyJson(baseUrl: string, s: EditorState) {
  const { dataset, latest } = s;
  return {
    dataset: { slug: dataset.slug, title: dataset.title, level: dataset.sensitivityLevel },
    source: s.source ? { version: s.source.version, rows: s.source.rowCount, columns: s.columns } : null,
    policyVersion: latest?.version ?? null,
    policy: latest?.policy ?? null,
    settings: latest?.settings ?? null,
    note: latest?.note ?? null,
    createdBy: latest?.createdBy ?? null,
    createdAt: latest?.createdAt ?? null,
    versions: s.versions,
    links: {
      page: absolute(baseUrl, urls.managePolicy(dataset.slug)),
      api: absolute(baseUrl, urls.apiManagePolicy(dataset.slug)),
      release: absolute(baseUrl, urls.manageRelease(dataset.slug)),
    },
  };
}

/** Where an error from the workflow points: the column it names, else the JSON or the columns. */
function issuesOf(err: ValidationError, columns: FormColumn[], mode: 'form' | 'json'): FormIssue[] {
  const listed = err.details?.issues;
  if (Array.isArray(listed) && listed.length) return listed as FormIssue[];
  if (mode === 'json') return [{ field: String(err.details?.parameter ?? '').startsWith('settings') ? 'settingsJson' : 'policyJson', message: err.message }];
  const named = /column "([^"]*)"/.exec(err.message)?.[1];
  const i = named === undefined ? -1 : columns.findIndex((c) => c.name === named);
  return [{ field: i >= 0 ? `t_${i}` : 'columns', message: err.message }];
}

/** Routes for the policy editor. */
export function policyEditorRouter(deps: { db: Db; config: Config }): Router {
  const { db, config } = deps;
  const router = Router();
  router.use(['/manage', '/api/v1/manage'], requireSignedIn);

  const load = async (req: Request, res: Response, need: 'read' | 'manage'): Promise<EditorState> => {
    const slug = slugParam.safeParse(req.params.slug);
    if (!slug.success) throw new NotFoundError('Dataset not found');
    const dataset = await datasetForSources(db, currentActor(res), slug.data, need);
    const [source, latest, versions] = await Promise.all([latestSource(db, dataset.id), latestPolicyVersion(db, dataset.id), listPolicyVersions(db, dataset.id)]);
    const usable = source && !source.purgedAt ? source : null;
    return { dataset, source: usable, columns: usable ? formColumns(usable) : [], latest, versions };
  };

  /** The page's locals: the form (from the latest policy when the form can show it), the JSON, errors. */
  const view = (s: EditorState, o: { mode?: string; form?: PolicyForm; json?: { policy: string; settings: string }; note?: string; errors?: FormIssue[] }) => {
    let form = o.form;
    let notExpressible: string | null = null;
    if (!form && s.latest && o.mode !== 'form') {
      const opened = formFromPolicy(s.columns, s.latest.policy, s.latest.settings);
      if ('form' in opened) form = opened.form;
      else notExpressible = opened.reason;
    }
    form ??= defaultForm(s.columns, defaultSeed(s.dataset.slug));
    let json = o.json;
    if (!json) {
      let policy: unknown = s.latest?.policy;
      let settings: ReleaseSettings = s.latest?.settings ?? {};
      if (policy === undefined) {
        try {
          ({ policy, settings } = policyFromForm(s.columns, form));
        } catch {
          policy = { version: 1, seed: form.seed, steps: [] };
        }
      }
      json = { policy: pretty(policy), settings: pretty(settings) };
    }
    return {
      d: s.dataset, source: s.source, columns: s.columns, form, json, note: o.note ?? '',
      mode: o.mode === 'json' || (notExpressible && o.mode !== 'form') ? 'json' : 'form', notExpressible,
      latest: s.latest ?? null, versions: s.versions, errors: o.errors ?? [],
      generalisations: s.columns.map(generalisationsFor), roleLabels, metrics: METRICS,
    };
  };

  const save = async (req: Request, res: Response, s: EditorState, policy: unknown, settings: unknown, note: string | undefined) => {
    const ctx = actionContext(req, res, config);
    return saveReleasePolicy({ db, secret: config.secret }, { dataset: s.dataset, policy, settings, note, actor: ctx.actor, requestId: ctx.requestId ?? undefined });
  };

  page(router, '/manage/datasets/:slug/policy', async (req, res) => {
    const s = await load(req, res, 'read');
    const mode = typeof req.query.mode === 'string' ? req.query.mode : undefined;
    return { view: 'manage/policy', title: `Release policy: ${s.dataset.title}`, locals: view(s, { mode }), json: policyJson(config.baseUrl, s) };
  });

  router.post('/manage/datasets/:slug/policy', async (req, res) => {
    const s = await load(req, res, 'manage');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const mode = body.mode === 'json' ? 'json' : 'form';
    const note = typeof body.note === 'string' ? body.note.slice(0, 2000) : '';
    const text = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    const form = mode === 'form' ? formFromBody(s.columns, body) : undefined;
    const json = mode === 'json' ? { policy: text('policyJson'), settings: text('settingsJson') } : undefined;
    try {
      if (form && s.source && body.sourceVersion !== String(s.source.version)) {
        throw new ValidationError('A newer source version was imported while you were editing', {
          issues: [{ field: 'columns', message: `A newer source version (${s.source.version}) was imported while you were editing; check the columns below and save again` }],
        });
      }
      let policy: unknown;
      let settings: unknown;
      if (form) ({ policy, settings } = policyFromForm(s.columns, form));
      else {
        try {
          policy = JSON.parse(json!.policy);
        } catch {
          throw new ValidationError('The policy is not valid JSON', { issues: [{ field: 'policyJson', message: 'The policy is not valid JSON: check the brackets, quotes and commas' }] });
        }
        if (json!.settings.trim()) {
          try {
            settings = JSON.parse(json!.settings);
          } catch {
            throw new ValidationError('The settings are not valid JSON', { issues: [{ field: 'settingsJson', message: 'The settings must be JSON like {"household": {"timeColumn": "…", "countMeasure": "…"}} or {}' }] });
          }
        }
      }
      await save(req, res, s, policy, settings, note);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const errors = issuesOf(err, s.columns, mode);
      res.status(400).render('manage/policy', { title: `Release policy: ${s.dataset.title}`, ...view(s, { mode, form, json, note, errors }) });
      return;
    }
    res.redirect(303, urls.manageRelease(s.dataset.slug));
  });

  router.get('/api/v1/manage/datasets/:slug/policy', async (req, res) => {
    res.json(policyJson(config.baseUrl, await load(req, res, 'read')));
  });

  router.put('/api/v1/manage/datasets/:slug/policy', express.json({ limit: '512kb' }), async (req, res) => {
    const s = await load(req, res, 'manage');
    // The shape is checked here (the same schema the OpenAPI document shows); the engine then checks the policy as sent, strictly.
    const body = parseInput(policyBody, req.body, 'body');
    const raw = (req.body as { policy: unknown }).policy;
    const { policyVersion, release } = await save(req, res, s, raw, body.settings ?? undefined, body.note);
    const latest = await latestPolicyVersion(db, s.dataset.id);
    res.json({
      dataset: s.dataset.slug,
      policyVersion,
      policy: latest?.policy ?? null,
      settings: latest?.settings ?? {},
      release: { id: release.id, state: release.state },
      links: { release: absolute(config.baseUrl, urls.apiManageRelease(s.dataset.slug)), page: absolute(config.baseUrl, urls.managePolicy(s.dataset.slug)) },
    });
  });

  return router;
}
